package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/shaobao/shaobao/loadgen"
)

// Balancer is the simple round-robin in front of the api processes, as a
// client's transport: each request goes to the next api process, and a
// request that may be sent again (a GET, or one with an Idempotency-Key)
// is, to the next process, while the answer is one loadgen.Retryable
// calls worth it (a 5xx, a failed connection, 409
// idempotency_key_in_flight), for at most Budget; any request whose
// connection was refused goes to the next process. It counts what it saw,
// so a test can tell a 5xx that was retried to success from one that
// reached the caller.
type Balancer struct {
	bases []*url.URL
	next  http.RoundTripper
	// Budget is how long one request is retried (default 3 minutes: more
	// than the 40 s a key stays "in flight" after its api process died).
	Budget time.Duration
	// Attempt bounds one attempt (default 70 s, over the api's own 30 s
	// request timeout).
	Attempt time.Duration

	turn                                 atomic.Uint64
	requests, retried, answers5xx        atomic.Int64
	connErrors, inFlight, final5xx, lost atomic.Int64
}

// BalancerStats are a Balancer's counts.
type BalancerStats struct {
	// Requests the caller sent; Retried of them needed more than one
	// attempt.
	Requests, Retried int64
	// Answers5xx are 5xx answers seen, ConnErrors failed connections and
	// InFlight 409 idempotency_key_in_flight answers: each was retried
	// while the budget lasted.
	Answers5xx, ConnErrors, InFlight int64
	// Final5xx are requests whose last answer, handed to the caller, was
	// a 5xx; Lost requests ended with no answer at all.
	Final5xx, Lost int64
}

func (s BalancerStats) String() string {
	return fmt.Sprintf("%d requests, %d retried (%d 5xx answers, %d failed connections, %d idempotency_key_in_flight), %d ended in a 5xx, %d without an answer",
		s.Requests, s.Retried, s.Answers5xx, s.ConnErrors, s.InFlight, s.Final5xx, s.Lost)
}

// NewBalancer spreads requests over bases (base URLs of api processes).
func NewBalancer(bases []string, conns int) (*Balancer, error) {
	b := &Balancer{Budget: 3 * time.Minute, Attempt: 70 * time.Second}
	for _, raw := range bases {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("cluster: api base URL %q: %v", raw, err)
		}
		b.bases = append(b.bases, u)
	}
	if len(b.bases) == 0 {
		return nil, fmt.Errorf("cluster: no api base URL")
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns * 2 * len(bases)
	t.MaxIdleConnsPerHost = conns * 2
	b.next = t
	return b, nil
}

// Client is a loadgen client as users holding tokens, through b. Its
// Base is the first api process; b sends each request to the next one.
func (b *Balancer) Client(tokens map[string]string) *loadgen.Client {
	return &loadgen.Client{Base: b.bases[0].String(), Tokens: tokens, HTTP: &http.Client{Transport: b}}
}

// Stats are the counts so far.
func (b *Balancer) Stats() BalancerStats {
	return BalancerStats{Requests: b.requests.Load(), Retried: b.retried.Load(), Answers5xx: b.answers5xx.Load(),
		ConnErrors: b.connErrors.Load(), InFlight: b.inFlight.Load(), Final5xx: b.final5xx.Load(), Lost: b.lost.Load()}
}

// RoundTrip implements http.RoundTripper.
func (b *Balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	b.requests.Add(1)
	again := req.Method == http.MethodGet || req.Header.Get("Idempotency-Key") != ""
	deadline := time.Now().Add(b.Budget)
	for attempt := 1; ; attempt++ {
		if attempt == 2 {
			b.retried.Add(1)
		}
		res, err := b.once(req)
		retry := false
		switch {
		case err != nil:
			if req.Context().Err() != nil {
				b.lost.Add(1)
				return nil, err
			}
			b.connErrors.Add(1)
			retry = true
		case res.StatusCode >= 500:
			b.answers5xx.Add(1)
			retry = true
		case res.StatusCode == http.StatusConflict:
			retry = inFlight(res)
			if retry {
				b.inFlight.Add(1)
			}
		}
		if !retry {
			return res, nil
		}
		if (!again && !refused(err)) || time.Now().After(deadline) {
			if err != nil {
				b.lost.Add(1)
				return nil, err
			}
			if res.StatusCode >= 500 {
				b.final5xx.Add(1)
			}
			return res, nil
		}
		if res != nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		select {
		case <-req.Context().Done():
			b.lost.Add(1)
			return nil, req.Context().Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// once sends req to the next api process, within Attempt.
func (b *Balancer) once(req *http.Request) (*http.Response, error) {
	base := b.bases[(b.turn.Add(1)-1)%uint64(len(b.bases))]
	ctx, cancel := context.WithTimeout(req.Context(), b.Attempt)
	r := req.Clone(ctx)
	r.URL.Scheme, r.URL.Host, r.Host = base.Scheme, base.Host, ""
	if req.Body != nil && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, err
		}
		r.Body = body
	}
	res, err := b.next.RoundTrip(r)
	if err != nil {
		cancel()
		return nil, err
	}
	res.Body = &cancelBody{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

// refused reports whether err is a failed dial: the request never
// reached a process, so any request may go to the next one.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// inFlight reports whether a 409 answer is idempotency_key_in_flight (the
// key's first request has not finished, or its process died with it);
// the body stays readable.
func inFlight(res *http.Response) bool {
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	var env struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(raw, &env)
	return loadgen.Retryable(&loadgen.StatusError{Status: res.StatusCode, Code: env.Error.Code})
}

// cancelBody ends an attempt's context when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel func()
}

func (c *cancelBody) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
