package lakeenv

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Env is the test binary's S3 server (versitygw on loopback), as a client
// reaches it.
type S3Env struct {
	Endpoint  string // http://127.0.0.1:PORT
	Region    string
	AccessKey string
	SecretKey string
	// Root is the directory the server keeps its buckets in: object KEY of
	// bucket B is the plain file Root/B/KEY.
	Root string

	srv *s3Server
}

// s3Server is a running versitygw.
type s3Server struct {
	proc    *proc
	env     S3Env
	buckets atomic.Int64 // buckets made by NewBucket, for their names
	ready   time.Duration
}

// S3 returns the test binary's S3 server, starting it if no test has yet.
// Where it cannot be started, the test is skipped (or fails: see the
// package's doc).
func S3(t testing.TB) S3Env {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	srv, err := server(t, &s3srv, &s3err, startS3)
	if err != nil {
		unavailable(t, err)
	}
	return srv.env
}

// NewBucket creates a bucket no other test has, named after the test, and
// returns its name.
func (e S3Env) NewBucket(t testing.TB) string {
	t.Helper()
	name := bucketName(e.srv.buckets.Add(1), t.Name())
	if _, err := e.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("lakeenv: creating bucket %s: %v", name, err)
	}
	return name
}

// Client returns an S3 client of the server, with path-style addressing.
func (e S3Env) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       e.Region,
		BaseEndpoint: aws.String(e.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(e.AccessKey, e.SecretKey, ""),
		UsePathStyle: true,
	})
}

// Env returns the standard AWS environment that points the SDK at the
// server (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY), as KEY=VALUE for a child process's environment
// (append it to os.Environ()). The endpoint is an IP address, so the SDK
// addresses buckets path-style without being told.
func (e S3Env) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + e.Endpoint,
		"AWS_REGION=" + e.Region,
		"AWS_ACCESS_KEY_ID=" + e.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + e.SecretKey,
	}
}

// Setenv sets Env's variables for the rest of the test (t.Setenv: not in
// parallel tests).
func (e S3Env) Setenv(t testing.TB) { setenv(t, e.Env()) }

// stop stops the server: SIGTERM, and SIGKILL after 5 s.
func (s *s3Server) stop() { s.proc.stop(syscall.SIGTERM, 5*time.Second) }

// String says what was started where, and how long it took to be ready.
func (s *s3Server) String() string {
	return fmt.Sprintf("versitygw (S3) at %s, buckets in %s, ready in %v", s.env.Endpoint, s.env.Root, s.ready.Round(time.Millisecond))
}

// startS3 starts versitygw on a free loopback port, serving dir/s3, with
// fresh root keys, and returns it once it answers a signed request.
func startS3(dir string) (*s3Server, error) {
	bin, err := findVersitygw()
	if err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "s3")
	if err := os.Mkdir(root, 0o700); err != nil {
		return nil, fmt.Errorf("lakeenv: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := S3Env{Endpoint: "http://" + addr, Region: "us-east-1", AccessKey: rand.Text()[:20], SecretKey: rand.Text(), Root: root}
	began := time.Now()
	p, err := startProc("versitygw", filepath.Join(dir, "versitygw.log"), nil,
		baseEnv("ROOT_ACCESS_KEY_ID="+env.AccessKey, "ROOT_SECRET_ACCESS_KEY="+env.SecretKey),
		bin, "--port", addr, "--region", env.Region, "--quiet", "posix", root)
	if err != nil {
		return nil, err
	}
	client := env.Client()
	probe := func(ctx context.Context) error {
		_, err := client.ListBuckets(ctx, &s3.ListBucketsInput{}, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
		return err
	}
	if err := p.waitReady(30*time.Second, probe); err != nil {
		return nil, err
	}
	srv := &s3Server{proc: p, env: env, ready: time.Since(began)}
	srv.env.srv = srv
	return srv, nil
}

// bucketName is the n-th bucket's name for the test named test: lower-case
// letters, digits and hyphens, at most 63 (S3's rules), unique by n.
func bucketName(n int64, test string) string {
	name := fmt.Sprintf("lake-%d-%s", n, slug(test, '-'))
	return strings.TrimRight(name[:min(63, len(name))], "-")
}

// slug is s in lower case with every run of other characters than letters
// and digits made one sep.
func slug(s string, sep rune) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		} else if !strings.HasSuffix(b.String(), string(sep)) {
			b.WriteRune(sep)
		}
	}
	return strings.Trim(b.String(), string(sep))
}

// setenv sets each KEY=VALUE of env with t.Setenv.
func setenv(t testing.TB, env []string) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}
