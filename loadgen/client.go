// Package loadgen drives Shaobao through its HTTP API exactly as the demo
// users would, and measures it: full joint lifecycles (file, every
// department reports and feeds back, verify, evaluate, closed) with the
// latency of each action, a no-op workflow baseline on the same Temporal
// server, the Temporal history of a lifecycle and the memory of a process.
//
// It links only the Temporal SDK, never the server: `shaobao bench` and the
// fault tests (faults/) use it against a real `shaobao dev` or `serve`.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// Client calls the Shaobao API as the users whose tokens it holds.
type Client struct {
	// Base is the server's root URL, e.g. http://127.0.0.1:8080.
	Base string
	// Tokens maps usernames to bearer tokens.
	Tokens map[string]string
	// HTTP is the client used; nil means a client with a pool sized for
	// a few dozen concurrent callers.
	HTTP *http.Client
}

// NewHTTPClient returns an HTTP client that keeps up to conns idle
// connections to one host, so a load of conns concurrent callers does not
// reconnect on every request.
func NewHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns * 2
	t.MaxIdleConnsPerHost = conns * 2
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}

// StatusError is a response outside 2xx: the status and the error
// envelope's code and message.
type StatusError struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// Retryable reports whether err is worth the same request again (with the
// same Idempotency-Key): the server or a dependency was unavailable, the
// connection failed, or the key's first request is still in flight (409
// idempotency_key_in_flight, also left for a while by a server that died
// mid-request). Any other 4xx is the request's own fault and is not.
func Retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500 || se.Code == "idempotency_key_in_flight"
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// Do sends one request as user and decodes a 2xx JSON answer into out (when
// out is not nil). idemKey, when not empty, is sent as Idempotency-Key.
func (c *Client) Do(ctx context.Context, user, method, path, body, idemKey string, out any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Base, "/")+path, rd)
	if err != nil {
		return err
	}
	if user != "" {
		tok, ok := c.Tokens[user]
		if !ok {
			return fmt.Errorf("no token for user %q", user)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		se := &StatusError{Method: method, Path: path, Status: res.StatusCode}
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(raw, &env) == nil {
			se.Code, se.Message = env.Error.Code, env.Error.Message
		} else {
			se.Message = string(bytes.TrimSpace(raw))
		}
		return se
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

var defaultHTTP = NewHTTPClient(16)

// Scenario is who plays a joint lifecycle: the filer and, per summoned
// department, the clerk who acts for it.
type Scenario struct {
	Filer  string
	Clerks []Clerk // in summons order
	Body   string  // the filing body (JSON)
}

// Clerk is a summoned department and its user.
type Clerk struct {
	DepartmentID, Username string
}

// DemoJoint is the demo city's routine joint whistle: c1-secretary
// summons the police station and the city-management squad of street 1.
var DemoJoint = Scenario{
	Filer:  "c1-secretary",
	Clerks: []Clerk{{"s1-police", "s1-police"}, {"s1-citymgmt", "s1-citymgmt"}},
	Body: `{"title":"酒吧街夜间噪音扰民","description":"和平里酒吧街夜间噪音，照片 https://example.org/p/1.jpg","category":"噪音扰民","source":"grid","class":"routine",` +
		`"department_ids":["s1-police","s1-citymgmt"],"location":{"address":"和平里酒吧街 12 号","lat":39.95,"lon":116.41,"grid_id":"110101001001001"}}`,
}

// Users are the usernames a scenario needs tokens for.
func (s Scenario) Users() []string {
	users := []string{s.Filer}
	for _, c := range s.Clerks {
		users = append(users, c.Username)
	}
	return users
}

// WithClass returns the scenario filing cases of class instead of routine.
func (s Scenario) WithClass(class whistle.Class) Scenario {
	s.Body = strings.Replace(s.Body, `"class":"routine"`, `"class":"`+string(class)+`"`, 1)
	return s
}

// Action names, as the latency report shows them.
const (
	ActFile     = "file"
	ActReport   = "report"
	ActFeedback = "feedback"
	ActVerify   = "verify"
	ActEvaluate = "evaluate"
	ActGet      = "get_case"
)

// Actions lists the action names in lifecycle order.
var Actions = []string{ActFile, ActReport, ActFeedback, ActVerify, ActEvaluate, ActGet}

// Step is one request of a lifecycle.
type Step struct {
	Action     string
	User       string
	Method     string
	Path, Body string
	// Key is the Idempotency-Key: a retried step is applied once.
	Key string
}

// File is the filing step; key names the case (the same key, the same case).
func (s Scenario) File(key string) Step {
	return Step{Action: ActFile, User: s.Filer, Method: "POST", Path: "/api/v1/cases", Body: s.Body, Key: key}
}

// Report is clerk k's report for duty on its task of the case.
func (s Scenario) Report(c whistle.Case, k int) Step {
	cl := s.Clerks[k]
	return Step{Action: ActReport, User: cl.Username, Method: "POST", Path: "/api/v1/tasks/" + taskOf(c, cl.DepartmentID) + "/report",
		Body: `{}`, Key: c.ID + "-report-" + cl.DepartmentID}
}

// Feedback is clerk k's result on its task.
func (s Scenario) Feedback(c whistle.Case, k int) Step {
	cl := s.Clerks[k]
	return Step{Action: ActFeedback, User: cl.Username, Method: "POST", Path: "/api/v1/tasks/" + taskOf(c, cl.DepartmentID) + "/feedback",
		Body: `{"result":"已到场处置，问题解决","notes":"联合执法","evidence":["https://example.org/e/1.jpg"]}`, Key: c.ID + "-feedback-" + cl.DepartmentID}
}

// Verify is the filer's passed verification.
func (s Scenario) Verify(c whistle.Case) Step {
	return Step{Action: ActVerify, User: s.Filer, Method: "POST", Path: "/api/v1/cases/" + c.ID + "/verify",
		Body: `{"passed":true,"comment":"现场核查已解决"}`, Key: c.ID + "-verify"}
}

// Evaluate is the filer's evaluation of department k.
func (s Scenario) Evaluate(c whistle.Case, k int) Step {
	cl := s.Clerks[k]
	return Step{Action: ActEvaluate, User: s.Filer, Method: "POST", Path: "/api/v1/cases/" + c.ID + "/evaluations",
		Body: `{"department_id":"` + cl.DepartmentID + `","timeliness":5,"quality":4,"attitude":5,"satisfaction":"satisfied"}`,
		Key:  c.ID + "-evaluate-" + cl.DepartmentID}
}

// Get is the filer reading the case with its timeline.
func (s Scenario) Get(id string) Step {
	return Step{Action: ActGet, User: s.Filer, Method: "GET", Path: "/api/v1/cases/" + id}
}

// taskOf is the id of the department's task on c ("" if it has none,
// which the server answers with a 404).
func taskOf(c whistle.Case, dept string) string {
	for _, t := range c.Tasks {
		if t.DepartmentID == dept {
			return t.ID
		}
	}
	return "none-for-" + dept
}

// Send sends the step once; out receives the answer.
func (c *Client) Send(ctx context.Context, s Step, out any) error {
	return c.Do(ctx, s.User, s.Method, s.Path, s.Body, s.Key, out)
}

// ExpectedTimeline is the timeline of a joint lifecycle with n departments
// that went straight to closed, entry types in order.
func ExpectedTimeline(n int) []string {
	out := []string{whistle.EventFiled}
	for range n {
		out = append(out, whistle.EventSummoned)
	}
	for range n {
		out = append(out, whistle.EventReported)
	}
	for range n {
		out = append(out, whistle.EventFeedback)
	}
	out = append(out, whistle.EventAwaitingVerification, whistle.EventVerified)
	for range n {
		out = append(out, whistle.EventEvaluated)
	}
	return append(out, whistle.EventClosed)
}

// CheckTimeline returns an error unless the case's timeline has seq 1..n
// without gap or double and, ignoring order within a run of the same type
// (two clerks act in parallel), exactly the entry types of want.
func CheckTimeline(c whistle.Case, want []string) error {
	got := make([]string, len(c.Timeline))
	for i, e := range c.Timeline {
		if e.Seq != int64(i+1) {
			return fmt.Errorf("case %s: timeline entry %d has seq %d (a gap or a double)", c.ID, i+1, e.Seq)
		}
		got[i] = e.Type
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return fmt.Errorf("case %s: timeline is\n  %s\nwant\n  %s", c.ID, strings.Join(got, ","), strings.Join(want, ","))
	}
	return nil
}
