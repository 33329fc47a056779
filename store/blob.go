package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Blob keeps the bytes of uploaded files by key: a folder of the data
// directory for the embedded default (DirBlob), an S3-compatible bucket in
// production (S3Blob). Keys are made by the API ("files/…", "thumbs/…").
type Blob interface {
	// Put stores data under key, replacing what was there.
	Put(ctx context.Context, key string, data []byte, contentType string) error
	// Get returns the bytes under key, or ErrBlobNotFound; it refuses an
	// object larger than max bytes.
	Get(ctx context.Context, key string, max int64) ([]byte, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// ErrBlobNotFound is Get's answer for a key that holds nothing.
var ErrBlobNotFound = errors.New("blob: no such object")

// blobKey is what a key may look like: the API's keys and nothing that
// could climb out of a folder.
var blobKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$`)

func checkKey(key string) error {
	if len(key) > 200 || !blobKey.MatchString(key) || strings.Contains(key, "..") {
		return fmt.Errorf("blob: bad key %q", key)
	}
	return nil
}

// DirBlob keeps objects as files under Root.
type DirBlob struct{ Root string }

// Put writes key through a temporary file renamed into place, so a reader
// never sees half an object.
func (d DirBlob) Put(_ context.Context, key string, data []byte, _ string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	path := filepath.Join(d.Root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".put-*")
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("blob: write %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

// Get reads key.
func (d DirBlob) Get(_ context.Context, key string, max int64) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(d.Root, filepath.FromSlash(key)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrBlobNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	defer f.Close()
	return readMax(f, key, max)
}

// Delete removes key.
func (d DirBlob) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(d.Root, filepath.FromSlash(key))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

func readMax(r io.Reader, key string, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("blob: read %s: %w", key, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("blob: %s is larger than %d bytes", key, max)
	}
	return data, nil
}

// S3Config names an S3-compatible bucket: MinIO, Ceph, a cloud's object
// store, Versity Gateway. Addressing is path-style (endpoint/bucket/key),
// which every one of them serves.
type S3Config struct {
	Endpoint  string // https://s3.example.gov.cn; empty: AWS's for Region
	Bucket    string
	Prefix    string // put before every key, e.g. "shaobao/"
	Region    string // default us-east-1
	AccessKey string
	SecretKey string
}

// S3Blob keeps objects in a bucket.
type S3Blob struct {
	client *s3.Client
	bucket string
	prefix string
}

// NewS3Blob returns the bucket of c; it does not call it.
func NewS3Blob(c S3Config) (*S3Blob, error) {
	if c.Bucket == "" {
		return nil, errors.New("s3: a bucket is required")
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return nil, errors.New("s3: give the access key and the secret key together")
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	opts := s3.Options{
		Region:       region,
		UsePathStyle: true,
		// Only the checksums the operation requires: several S3-compatible
		// servers refuse the streaming checksums newer SDKs add by default.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if c.Endpoint != "" {
		opts.BaseEndpoint = aws.String(c.Endpoint)
	}
	if c.AccessKey != "" {
		opts.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, "")
	} else {
		opts.Credentials = aws.AnonymousCredentials{}
	}
	prefix := c.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &S3Blob{client: s3.New(opts), bucket: c.Bucket, prefix: prefix}, nil
}

// Put uploads key.
func (b *S3Blob) Put(ctx context.Context, key string, data []byte, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.prefix + key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String(contentType)})
	if err != nil {
		return fmt.Errorf("s3: put %s: %w", key, err)
	}
	return nil
}

// Get downloads key.
func (b *S3Blob) Get(ctx context.Context, key string, max int64) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.prefix + key)})
	if err != nil {
		if s3Missing(err) {
			return nil, ErrBlobNotFound
		}
		return nil, fmt.Errorf("s3: get %s: %w", key, err)
	}
	defer out.Body.Close()
	return readMax(out.Body, key, max)
}

// Delete removes key (S3 answers a missing key with success).
func (b *S3Blob) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.prefix + key)})
	if err != nil && !s3Missing(err) {
		return fmt.Errorf("s3: delete %s: %w", key, err)
	}
	return nil
}

// s3Missing reports whether err says the object is not there.
func s3Missing(err error) bool {
	var nsk interface{ ErrorCode() string }
	if errors.As(err, &nsk) && (nsk.ErrorCode() == "NoSuchKey" || nsk.ErrorCode() == "NotFound") {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		var ae smithy.APIError
		return !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucket"
	}
	return false
}
