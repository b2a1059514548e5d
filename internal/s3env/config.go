package s3env

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Retries of one S3 request: the SDK's standard retryer (exponential
// backoff with jitter, retrying throttling, 5xx and cut connections) with
// more attempts and a longer backoff than its defaults (3 attempts, 20 s),
// and without its client-side retry quota. The quota (500 tokens, 5 a
// retry, 10 a timeout) sheds load from a fleet of interactive clients; a
// nightly batch whose object store is slow under the batch's own load
// runs out of it within a minute of timeouts, and then fails every
// request at its first error ("retry quota exceeded"), which fails whole
// commits that a few more seconds would have saved.
const (
	maxAttempts = 10
	maxBackoff  = 30 * time.Second
)

// Config is the AWS SDK's configuration from the environment (region,
// credentials, profiles) with the syncer's retries and one HTTP client,
// which keeps connections to the store open for the clients made from it
// (iceberg-go makes one per table operation).
func Config(ctx context.Context) (aws.Config, error) {
	client := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = idleConns
		t.MaxIdleConnsPerHost = idleConns
	})
	return config.LoadDefaultConfig(ctx, config.WithRetryer(newRetryer), config.WithHTTPClient(client))
}

// idleConns is the most connections kept open to the store: a lake's
// commit works on several tables at once, each reading and writing
// several files (the SDK keeps 10).
const idleConns = 64

func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
	})
}
