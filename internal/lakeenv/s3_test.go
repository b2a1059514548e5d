package lakeenv_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/syncer/syncer/internal/lakeenv"
)

// TestS3PutGet: an object put through the SDK on a fresh bucket reads back
// whole, and lies as a plain file under the server's root.
func TestS3PutGet(t *testing.T) {
	env := lakeenv.S3(t)
	bucket := env.NewBucket(t)
	client := env.Client()
	body := []byte("positions,as_of_date\n1,2024-01-02\n")
	if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("warehouse/a/b.csv"), Body: bytes.NewReader(body),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("warehouse/a/b.csv")})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	read, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read, body) {
		t.Errorf("read back %q, put %q", read, body)
	}
	onDisk, err := os.ReadFile(filepath.Join(env.Root, bucket, "warehouse", "a", "b.csv"))
	if err != nil || !bytes.Equal(onDisk, body) {
		t.Errorf("the object as a file under Root: %q, %v; want %q", onDisk, err, body)
	}
}

// TestNewBucketFresh: each call gives another bucket, valid as an S3 name,
// that exists and is empty.
func TestNewBucketFresh(t *testing.T) {
	env := lakeenv.S3(t)
	a, b := env.NewBucket(t), env.NewBucket(t)
	if a == b {
		t.Fatalf("two calls gave the same bucket %q", a)
	}
	for _, name := range []string{a, b} {
		if len(name) < 3 || len(name) > 63 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Errorf("bucket name %q is not a valid S3 name", name)
		}
		list, err := env.Client().ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(name)})
		if err != nil {
			t.Fatalf("bucket %s: %v", name, err)
		}
		if len(list.Contents) != 0 {
			t.Errorf("bucket %s holds %d objects, want a fresh one", name, len(list.Contents))
		}
	}
}

// TestS3Environment: a client configured only by the standard AWS
// environment (what a child process or iceberg-go sees) reaches the
// server, with no option of ours.
func TestS3Environment(t *testing.T) {
	env := lakeenv.S3(t)
	want := []string{"AWS_ENDPOINT_URL=" + env.Endpoint, "AWS_REGION=" + env.Region,
		"AWS_ACCESS_KEY_ID=" + env.AccessKey, "AWS_SECRET_ACCESS_KEY=" + env.SecretKey}
	if got := env.Env(); !slices.Equal(got, want) {
		t.Errorf("Env() = %q, want %q", got, want)
	}
	bucket := env.NewBucket(t)
	env.Setenv(t)
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg)
	if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v"),
	}); err != nil {
		t.Fatalf("put through a client from the environment: %v", err)
	}
	list, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "k" {
		t.Fatalf("list through a client from the environment: %v, %v", list, err)
	}
}
