package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/media"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// Upload limits.
const (
	// MaxUploadBytes is the largest photo POST /files accepts.
	MaxUploadBytes = 10 << 20
	// maxUploadBody is the largest upload request: the photo and the
	// multipart framing around it (limits lets this route have it).
	maxUploadBody = MaxUploadBytes + 64<<10
	// maxFileRefs is how many files a filing or a feedback list may name.
	maxFileRefs = 9
	uploadsPath = "/api/v1/files"
)

// Error codes of the uploads, beside whistle's (statusOf maps them).
const (
	eTooLarge    = "too_large"    // 413
	eInvalidFile = "invalid_file" // 422: a file id that is not the caller's upload
)

// UploadQuota is what one user may upload in 24 hours.
type UploadQuota struct {
	Files int64
	Bytes int64
}

// DefaultUploadQuota is 300 photos or 1 GiB a day per user.
var DefaultUploadQuota = UploadQuota{Files: 300, Bytes: 1 << 30}

// ParseUploadQuota reads "FILES/SIZE", e.g. "300/1GiB" or "50/200MB"
// (units B, KB, MB, GB, KiB, MiB, GiB).
func ParseUploadQuota(s string) (UploadQuota, error) {
	files, size, ok := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseInt(strings.TrimSpace(files), 10, 64)
	if !ok || err != nil || n <= 0 {
		return UploadQuota{}, fmt.Errorf("upload quota %q: want FILES/SIZE, e.g. 300/1GiB", s)
	}
	b, err := parseSize(size)
	if err != nil || b <= 0 {
		return UploadQuota{}, fmt.Errorf("upload quota %q: want FILES/SIZE, e.g. 300/1GiB", s)
	}
	return UploadQuota{Files: n, Bytes: b}, nil
}

var sizeRE = regexp.MustCompile(`^(\d+)\s*([KMG]i?B|B)?$`)

func parseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("bad size %q", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, err
	}
	mult := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[m[2]]
	return n * mult, nil
}

func (s *Server) quota() UploadQuota {
	if s.UploadQuota == (UploadQuota{}) {
		return DefaultUploadQuota
	}
	return s.UploadQuota
}

// fileView is a file as the API answers it. Coordinates are WGS-84, as
// the photo's GPS recorded them.
type fileView struct {
	ID           string     `json:"id"`
	ContentType  string     `json:"content_type"`
	Size         int64      `json:"size"`
	SHA256       string     `json:"sha256"`
	Width        int        `json:"width"`
	Height       int        `json:"height"`
	TakenAt      *time.Time `json:"taken_at,omitempty"`
	Lat          *float64   `json:"lat,omitempty"`
	Lon          *float64   `json:"lon,omitempty"`
	URL          string     `json:"url"`
	ThumbnailURL string     `json:"thumbnail_url"`
	CreatedAt    time.Time  `json:"created_at"`
}

func toFileView(f store.File) fileView {
	return fileView{ID: f.ID, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256, Width: f.Width, Height: f.Height,
		TakenAt: f.TakenAt, Lat: f.Lat, Lon: f.Lon, URL: uploadsPath + "/" + f.ID, ThumbnailURL: uploadsPath + "/" + f.ID + "/thumbnail",
		CreatedAt: f.CreatedAt}
}

func uploadTooLarge() error {
	return whistle.Errorf(eTooLarge, "文件过大：照片上限 %d MB", "the file is too large: photos are limited to %d MB", MaxUploadBytes>>20)
}

// upload answers POST /files: one photo in the multipart field "file",
// checked by its content (media.Process), its metadata stripped, stored
// with its thumbnail; 201 with the file.
func (s *Server) upload(c *gin.Context) {
	ctx := c.Request.Context()
	u := caller(c)
	if s.Blob == nil {
		fail(c, fmt.Errorf("upload: %w: no file storage configured", errUnavailable))
		return
	}
	q := s.quota()
	since := time.Now().Add(-24 * time.Hour)
	files, used, err := s.Store.UploadUsage(ctx, u.UserID, since)
	if err != nil {
		fail(c, err)
		return
	}
	if files >= q.Files {
		fail(c, quotaExceeded(q))
		return
	}
	data, err := readUpload(c)
	if err != nil {
		fail(c, err)
		return
	}
	img, err := media.Process(data)
	if err != nil {
		fail(c, err)
		return
	}
	if used+int64(len(img.Clean)) > q.Bytes {
		fail(c, quotaExceeded(q))
		return
	}
	sum := sha256.Sum256(img.Clean)
	id := newFileID()
	f := store.File{ID: id, UploaderID: u.UserID, UploaderOrgPath: string(u.OrgPath), ContentType: img.ContentType,
		Size: int64(len(img.Clean)), SHA256: hex.EncodeToString(sum[:]), Width: img.Width, Height: img.Height,
		TakenAt: img.Meta.TakenAt, Lat: img.Meta.Lat, Lon: img.Meta.Lon, Orientation: img.Meta.Orientation,
		ObjectKey: "files/" + id + "." + media.Ext(img.ContentType), ThumbnailKey: "thumbs/" + id + ".jpg", CreatedAt: time.Now().UTC()}
	if err := s.Blob.Put(ctx, f.ObjectKey, img.Clean, f.ContentType); err != nil {
		fail(c, fmt.Errorf("upload %s: %w: %w", id, errUnavailable, err))
		return
	}
	if err := s.Blob.Put(ctx, f.ThumbnailKey, img.Thumbnail, media.JPEG); err == nil {
		err = s.Store.CreateFile(ctx, f)
	} else {
		err = fmt.Errorf("upload %s: %w: %w", id, errUnavailable, err)
	}
	if err != nil {
		// Nothing refers to the objects without the row: take them back.
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.Blob.Delete(bg, f.ObjectKey)
		_ = s.Blob.Delete(bg, f.ThumbnailKey)
		fail(c, err)
		return
	}
	logger(c).Info("file uploaded", "file_id", id, "content_type", f.ContentType, "size", f.Size, "gps", f.Lat != nil)
	c.JSON(http.StatusCreated, toFileView(f))
}

func quotaExceeded(q UploadQuota) error {
	return whistle.Errorf(whistle.ERateLimited, "今日上传已达上限（每人 24 小时内 %d 个文件、共 %d MB），请明天再试",
		"the upload quota is used up (%d files or %d MB per user in 24 hours); try again tomorrow", q.Files, q.Bytes>>20)
}

// readUpload reads the one file of the multipart field "file", refusing
// more than MaxUploadBytes without reading further.
func readUpload(c *gin.Context) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, whistle.Errorf(whistle.EInvalid, "请以 multipart/form-data 上传，文件放在 file 字段中", "upload as multipart/form-data, the file in the field \"file\"")
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, whistle.Errorf(whistle.EInvalid, "multipart 请求体无效", "invalid multipart body")
	}
	var data []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bodyError(err)
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		if data != nil {
			return nil, whistle.Errorf(whistle.EInvalid, "一次只能上传一个文件", "upload one file at a time")
		}
		data, err = io.ReadAll(io.LimitReader(part, MaxUploadBytes+1))
		if err != nil {
			return nil, bodyError(err)
		}
		if len(data) > MaxUploadBytes {
			return nil, uploadTooLarge()
		}
		if data == nil {
			data = []byte{}
		}
	}
	if len(data) == 0 {
		return nil, whistle.Errorf(whistle.EInvalid, "请在 file 字段中附上照片", "attach the photo in the field \"file\"")
	}
	return data, nil
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return uploadTooLarge()
	}
	return whistle.Errorf(whistle.EInvalid, "multipart 请求体无效或不完整", "invalid or incomplete multipart body")
}

func newFileID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "F" + strings.ToUpper(hex.EncodeToString(b))
}

// fileFor loads the file of the route's :id if the caller may see it: its
// uploader, or anyone who may see a case that references it (ReadCase:
// the policy and the jurisdiction, as GET /cases/{id}). Anyone else gets
// the not_found of an unknown id.
func (s *Server) fileFor(c *gin.Context) (store.File, bool) {
	ctx := c.Request.Context()
	id := c.Param("id")
	u := caller(c)
	f, err := s.Store.FileByID(ctx, id)
	if err != nil {
		fail(c, err)
		return f, false
	}
	if f.UploaderID == u.UserID {
		return f, true
	}
	cases, err := s.Store.FileCases(ctx, id, 50)
	if err != nil {
		fail(c, err)
		return f, false
	}
	for _, caseID := range cases {
		_, err := s.authorizedCase(ctx, u, caseID, policy.ReadCase)
		if err == nil {
			return f, true
		}
		// A case the caller may not read, by policy or by jurisdiction,
		// says nothing: the file stays as unknown as a wrong id.
		if code := whistle.ErrorCode(err); code != whistle.ENotFound && code != whistle.EForbidden {
			fail(c, err)
			return f, false
		}
	}
	fail(c, store.FileNotFound(id))
	return f, false
}

func (s *Server) getFile(c *gin.Context) {
	if f, ok := s.fileFor(c); ok {
		s.serveObject(c, f, f.ObjectKey, f.ContentType, media.Ext(f.ContentType))
	}
}

func (s *Server) getThumbnail(c *gin.Context) {
	if f, ok := s.fileFor(c); ok {
		s.serveObject(c, f, f.ThumbnailKey, media.JPEG, "jpg")
	}
}

// serveObject sends an object of f: inline, never sniffed, cached by the
// browser only (private) and for good (the bytes under an id never
// change), with range requests and If-None-Match on its sha256.
func (s *Server) serveObject(c *gin.Context, f store.File, key, contentType, ext string) {
	if s.Blob == nil {
		fail(c, fmt.Errorf("file %s: %w: no file storage configured", f.ID, errUnavailable))
		return
	}
	data, err := s.Blob.Get(c.Request.Context(), key, maxUploadBody)
	if errors.Is(err, store.ErrBlobNotFound) {
		logger(c).Warn("file object missing", "file_id", f.ID, "key", key)
		fail(c, store.FileNotFound(f.ID))
		return
	}
	if err != nil {
		fail(c, fmt.Errorf("file %s: %w: %w", f.ID, errUnavailable, err))
		return
	}
	etag := f.SHA256
	if key != f.ObjectKey {
		sum := sha256.Sum256(data)
		etag = hex.EncodeToString(sum[:])
	}
	h := c.Writer.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s.%s"`, f.ID, ext))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("ETag", `"`+etag+`"`)
	http.ServeContent(c.Writer, c.Request, "", f.CreatedAt, bytes.NewReader(data))
}

// checkOwnFiles checks a list of file ids a filing or a feedback names:
// at most maxFileRefs, none twice, each an upload of u. The message names
// the field and the id.
func (s *Server) checkOwnFiles(ctx context.Context, u whistle.Actor, field string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	label := fieldLabel(field)
	if len(ids) > maxFileRefs {
		return &whistle.Error{Code: eInvalidFile, Message: fmt.Sprintf("「%s」至多 %d 个文件", label, maxFileRefs),
			MessageEN: fmt.Sprintf("%s names at most %d files", field, maxFileRefs)}
	}
	if d := duplicate(ids); d != "" {
		return &whistle.Error{Code: eInvalidFile, Message: fmt.Sprintf("「%s」中文件 %s 出现了两次", label, d),
			MessageEN: fmt.Sprintf("%s names file %s twice", field, d)}
	}
	files, err := s.Store.FilesByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if f, ok := files[id]; !ok || f.UploaderID != u.UserID {
			return &whistle.Error{Code: eInvalidFile, Message: fmt.Sprintf("「%s」中的文件 %s 不存在或不是您上传的（请先上传照片）", label, id),
				MessageEN: fmt.Sprintf("%s: file %s does not exist or was not uploaded by you (upload it with POST /api/v1/files first)", field, id)}
		}
	}
	return nil
}

// ownFileURL returns the file id of a media_url that is this server's own
// file address (<public-url>/api/v1/files/<id>), "" for any other URL.
func (s *Server) ownFileURL(raw string) string {
	base := strings.TrimRight(s.PublicURL, "/")
	if base == "" {
		return ""
	}
	id, ok := strings.CutPrefix(raw, base+uploadsPath+"/")
	if !ok || id == "" || len(id) > 40 || strings.ContainsAny(id, "/?#") {
		return ""
	}
	return id
}
