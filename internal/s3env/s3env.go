// Package s3env is what the syncer's S3 clients (the Iceberg lake's and
// the archive's) share: the SDK configuration they use (Config: the
// environment's, with the syncer's retries and one HTTP client) and what
// they take from the environment beyond it (Endpoint).
package s3env

import "os"

// Endpoint returns the custom S3 endpoint the environment names
// (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL: versitygw, MinIO, …), or ""
// for AWS itself. A custom endpoint is addressed path-style: such servers
// rarely resolve bucket.host names.
func Endpoint() string {
	for _, name := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return ""
}
