package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/syncer/syncer/internal/s3env"
)

// s3Store is an archive under a prefix of an S3 bucket. An object appears
// whole or not at all by S3's own semantics; who may read it is the
// bucket's policy. The client comes from the AWS SDK's standard
// environment (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// profiles), as the Iceberg lake's: a custom endpoint (s3env.Endpoint) is
// addressed path-style.
type s3Store struct {
	client *s3.Client
	bucket string
	prefix string // "" or without slashes at either end
}

func newS3Store(ctx context.Context, bucket, prefix string) (*s3Store, error) {
	cfg, err := s3env.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive: s3: %w", err)
	}
	custom := s3env.Endpoint() != ""
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = custom })
	return &s3Store{client: client, bucket: bucket, prefix: prefix}, nil
}

// key is the object key of a store name.
func (s *s3Store) key(name string) string {
	if s.prefix == "" {
		return name
	}
	return s.prefix + "/" + name
}

func (s *s3Store) put(ctx context.Context, name string, data []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(name)),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	return err
}

func (s *s3Store) get(ctx context.Context, name string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(name))})
	if err != nil {
		var missing *types.NoSuchKey
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func (s *s3Store) list(ctx context.Context, dir string) ([]string, error) {
	prefix := s.key(dir) + "/"
	var names []string
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket),
		Prefix: aws.String(prefix), Delimiter: aws.String("/")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range page.CommonPrefixes {
			names = append(names, strings.TrimPrefix(aws.ToString(p.Prefix), prefix))
		}
		for _, o := range page.Contents {
			names = append(names, strings.TrimPrefix(aws.ToString(o.Key), prefix))
		}
	}
	return names, nil
}

// deleteBatch is the most keys of one DeleteObjects call (S3's limit).
const deleteBatch = 1000

func (s *s3Store) remove(ctx context.Context, names ...string) error {
	for len(names) > 0 {
		n := min(len(names), deleteBatch)
		ids := make([]types.ObjectIdentifier, n)
		for i, name := range names[:n] {
			ids[i] = types.ObjectIdentifier{Key: aws.String(s.key(name))}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(s.bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return err
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("deleting %s: %s %s (and %d more)", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
		}
		names = names[n:]
	}
	return nil
}

// newDir: S3 has no directories; dir must hold no object yet.
func (s *s3Store) newDir(ctx context.Context, dir string) error {
	out, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.key(dir) + "/"), MaxKeys: aws.Int32(1)})
	if err != nil {
		return err
	}
	if len(out.Contents) > 0 {
		return fmt.Errorf("%s: %w", dir, fs.ErrExist)
	}
	return nil
}

// dropDir deletes dir/first, then every other object under dir.
func (s *s3Store) dropDir(ctx context.Context, dir, first string) error {
	if err := s.remove(ctx, join(dir, first)); err != nil {
		return err
	}
	return s.removeAll(ctx, dir)
}

// removeAll deletes every object under dir.
func (s *s3Store) removeAll(ctx context.Context, dir string) error {
	prefix := s.key(dir) + "/"
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		names := make([]string, len(page.Contents))
		for i, o := range page.Contents {
			names[i] = join(dir, strings.TrimPrefix(aws.ToString(o.Key), prefix))
		}
		if err := s.remove(ctx, names...); err != nil {
			return err
		}
	}
	return nil
}

// sweep deletes the subdirectories of dir that lack first: what a dropDir
// cut short left.
func (s *s3Store) sweep(ctx context.Context, dir, first string) error {
	names, err := s.list(ctx, dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		sub, ok := strings.CutSuffix(name, "/")
		if !ok {
			continue
		}
		_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key(join(dir, sub, first)))})
		var missing *types.NotFound
		switch {
		case errors.As(err, &missing):
			errs = append(errs, s.removeAll(ctx, join(dir, sub)))
		case err != nil:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sync: S3's writes and deletes are durable when they return.
func (s *s3Store) sync(string) error { return nil }
