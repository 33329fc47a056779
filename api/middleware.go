package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/whistle"
)

const (
	ctxLogger    = "shaobao.logger"
	ctxRequestID = "shaobao.request_id"
)

// requestIDs gives every request an id (kept from X-Request-ID when the
// caller sent a sane one), returns it in the response and puts it on every
// log line of the request.
func (s *Server) requestIDs() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, " \t\r\n") {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Set(ctxRequestID, id)
		c.Header("X-Request-ID", id)
		c.Set(ctxLogger, s.Logger.With("request_id", id))
		start := time.Now()
		c.Next()
		if c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/metrics" {
			return
		}
		// The logger carries the user once authenticate has run.
		logger(c).Info("request", "method", c.Request.Method, "path", c.FullPath(), "status", c.Writer.Status(), "duration_ms", time.Since(start).Milliseconds())
	}
}

func requestID(c *gin.Context) string {
	if v, ok := c.Get(ctxRequestID); ok {
		return v.(string)
	}
	return ""
}

// recovery turns a panic into the internal-error envelope: no panic reaches
// a user as a dropped connection.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(r)
				}
				fail(c, fmt.Errorf("panic: %v", r))
			}
		}()
		c.Next()
	}
}

// limits caps the request body and the handling time.
func (s *Server) limits() gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := s.MaxBodyBytes
		if c.Request.Method == http.MethodPost && c.Request.URL.Path == uploadsPath {
			// A photo (files.go): refused unread when it says it is larger.
			if limit = maxUploadBody; c.Request.ContentLength > limit {
				fail(c, uploadTooLarge())
				return
			}
		}
		if c.Request.Method == http.MethodPost && c.Request.URL.Path == geoImportPath {
			limit = maxGeoImportBody // a whole city's polygons (admin_geo.go)
		}
		if c.Request.ContentLength > limit {
			fail(c, whistle.Errorf(whistle.EInvalid, "请求体过大（上限 %d 字节）", "request body too large (limit %d bytes)", limit))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.RequestTimeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// authenticate resolves the bearer token, or else the session cookie
// (auth.go: CSRF and must-change checked there), to the caller (see
// caller) or answers 401.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := bearerToken(c.GetHeader("Authorization"))
		if !ok {
			if cookie, err := c.Cookie(SessionCookie); err == nil && cookie != "" {
				if s.authenticateSession(c, cookie) {
					c.Next()
				}
				return
			}
			c.Header("WWW-Authenticate", `Bearer realm="shaobao"`)
			fail(c, whistle.Errorf(whistle.EUnauthorized, "需要登录：请先登录，或在 Authorization 头中提供 Bearer 令牌", "sign-in required: sign in, or send a Bearer token in the Authorization header"))
			return
		}
		if _, err := s.signIn(c, token); err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="shaobao", error="invalid_token"`)
			fail(c, err)
			return
		}
		c.Next()
	}
}

// bearerToken takes the token out of an Authorization header. The scheme
// is case-insensitive (RFC 7235 §2.1, RFC 6750 §2.1): "bearer x" works.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// secureHeaders forbids MIME sniffing everywhere, and caching of answers
// that depend on who asks (the API, Open311, the probes). The pages'
// assets keep the caching web.Handler gives them.
func secureHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		p := c.Request.URL.Path
		if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/open311/") || p == "/healthz" || p == "/readyz" || p == "/metrics" {
			h.Set("Cache-Control", "no-store")
		}
		c.Next()
	}
}

// slogWriter adapts gin's debug output to slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Debug(strings.TrimSpace(string(p)))
	return len(p), nil
}
