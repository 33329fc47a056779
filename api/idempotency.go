package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

const (
	// ctxIdempotency holds the store.IdempotencyKey the request claimed.
	ctxIdempotency = "shaobao.idempotency"
	// DefaultIdempotencyTTL is how long an Idempotency-Key is remembered.
	DefaultIdempotencyTTL = 24 * time.Hour
	maxIdempotencyKey     = 128 // as file() has always allowed
)

// idempotency makes a state-changing request sent with an Idempotency-Key
// header happen once per (user, key), as Stripe and the IETF
// Idempotency-Key draft have it: the same request again replays the first
// answer (Idempotent-Replayed: true); the key on another route, target or
// body answers 422; while the first is still being answered, 409. Only a
// success is remembered: a refusal (4xx) or a failure (5xx) changed
// nothing, so, as at Stripe, the client may correct the request or retry
// it with the same key. Runs behind authenticate.
func (s *Server) idempotency() gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader("Idempotency-Key")
		switch c.Request.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			key = "" // reads are safe to repeat
		}
		if key == "" {
			c.Next()
			return
		}
		if len(key) > maxIdempotencyKey || strings.IndexFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
			fail(c, whistle.Errorf(whistle.EInvalid, "Idempotency-Key 无效：须为 1 至 %d 个可见 ASCII 字符", "invalid Idempotency-Key: 1 to %d visible ASCII characters", maxIdempotencyKey))
			return
		}
		// Read the body once to hash it and hand the handler a fresh copy.
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			fail(c, whistle.Errorf(whistle.EInvalid, "请求体读取失败或过大（上限 %d 字节）", "request body unreadable or too large (limit %d bytes)", s.MaxBodyBytes))
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		want := store.IdempotencyKey{UserID: caller(c).UserID, Key: key, Route: c.Request.Method + " " + c.FullPath(),
			Target: targetOf(c), BodyHash: hex.EncodeToString(sum[:])}

		ctx := c.Request.Context()
		s.sweepIdempotencyKeys(ctx, logger(c))
		// A claim older than any request may run (RequestTimeout, then a
		// few seconds to store the answer) was left by a process that died:
		// the same request may take it over, and Temporal's own dedupe
		// (updateID, the case id) keeps its effect single.
		got, claimed, err := s.Store.ClaimIdempotencyKey(ctx, want, s.IdempotencyTTL, s.RequestTimeout+10*time.Second)
		if err != nil {
			fail(c, err)
			return
		}
		if !claimed {
			s.answerKnownKey(c, got, want)
			return
		}

		c.Set(ctxIdempotency, got)
		w := &recordingWriter{ResponseWriter: c.Writer}
		c.Writer = w
		answered := false
		defer func() {
			// Store what the client got, on a context that outlives the
			// request's own deadline; forget the key on a 4xx, a 5xx or a
			// panic.
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			var err error
			if answered && w.Status() < 400 {
				err = s.Store.FinishIdempotencyKey(bg, got, w.Status(), w.Header().Get("Content-Type"), w.body.Bytes())
			} else {
				err = s.Store.ReleaseIdempotencyKey(bg, got)
			}
			if err != nil {
				logger(c).Error("idempotency key not recorded", "err", err)
			}
		}()
		c.Next()
		answered = true
	}
}

// answerKnownKey answers a request whose key the user already used.
func (s *Server) answerKnownKey(c *gin.Context, got, want store.IdempotencyKey) {
	switch {
	case !got.SameRequest(want):
		logger(c).Info("idempotency key reused", "first_route", got.Route, "first_target", got.Target, "route", want.Route, "target", want.Target)
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, envelope{Error: envelopeError{Code: "idempotency_key_reused",
			Message: pick(c, "该 Idempotency-Key 已用于另一个请求（不同的地址、对象或请求体）；新请求请换一个键",
				"this Idempotency-Key was already used for a different request (route, target or body); use a new key for a new request"),
			RequestID: requestID(c)}})
	case got.InFlight():
		c.Header("Retry-After", "1")
		c.AbortWithStatusJSON(http.StatusConflict, envelope{Error: envelopeError{Code: "idempotency_key_in_flight",
			Message: pick(c, "使用同一 Idempotency-Key 的请求仍在处理中，请稍后重试",
				"a request with this Idempotency-Key is still being processed; retry shortly"),
			RequestID: requestID(c)}})
	default:
		if got.ContentType != "" {
			c.Header("Content-Type", got.ContentType)
		}
		c.Header("Idempotent-Replayed", "true")
		c.Status(got.Status)
		_, _ = c.Writer.Write(got.Body)
		c.Abort()
	}
}

// sweepIdempotencyKeys deletes expired keys, at most once per hour (or per
// TTL when shorter), from whichever request comes first.
func (s *Server) sweepIdempotencyKeys(ctx context.Context, log *slog.Logger) {
	every := min(time.Hour, s.IdempotencyTTL)
	now := time.Now()
	last := s.idemSwept.Load()
	if now.UnixNano()-last < int64(every) || !s.idemSwept.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := s.Store.DeleteIdempotencyKeysBefore(ctx, now.Add(-s.IdempotencyTTL)); err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("expired idempotency keys not deleted", "err", err)
	}
}

// targetOf names what a request acts on: its path parameters.
func targetOf(c *gin.Context) string {
	parts := make([]string, len(c.Params))
	for i, p := range c.Params {
		parts[i] = p.Key + "=" + p.Value
	}
	return strings.Join(parts, "&")
}

// updateID names a workflow Update so Temporal applies it once: from the
// claimed Idempotency-Key (user, key, route, target, body), else random.
// Never from a client's tracing header: X-Request-ID is not a promise
// that two requests are the same.
func updateID(c *gin.Context, name string) string {
	v, ok := c.Get(ctxIdempotency)
	if !ok {
		return name + "-" + uuid.NewString()
	}
	k := v.(store.IdempotencyKey)
	sum := sha256.Sum256([]byte(strings.Join([]string{k.UserID, k.Key, k.Route, k.Target, k.BodyHash}, "\x00")))
	return name + "-" + hex.EncodeToString(sum[:16])
}

// recordingWriter keeps a copy of the answer for replays.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
