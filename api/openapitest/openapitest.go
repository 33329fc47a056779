// Package openapitest checks real HTTP exchanges against the API's OpenAPI
// document (api/openapi.json), for tests of the api package and of the
// integration suite. The document is checked in a strict copy: an answer
// with a field the document does not name, or a time not in UTC, fails.
package openapitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/shaobao/shaobao/api"
)

// Load parses the embedded document and validates it as OpenAPI 3.
func Load(tb testing.TB) *openapi3.T {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	if err != nil {
		tb.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// UTCPattern is the pattern Strict gives every date-time of an answer:
// the API writes every time in UTC (a client may send any offset).
const UTCPattern = `Z$`

// Strict tightens doc, in place, into the test's copy of the contract:
//   - every object schema with properties refuses other properties
//     (additionalProperties: false), so an undocumented answer field fails;
//     allOf of objects is merged into one object first, since each part of
//     an allOf would otherwise refuse the other parts' properties;
//   - every date-time of an answer must end in Z, except in Open311's
//     answers, which write the city's local time with its offset as
//     GeoReport v2's examples do.
//
// Objects documented as free maps (no properties) stay open.
func Strict(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	EachSchema(doc, func(ref *openapi3.SchemaRef) {
		walk(ref, seen, func(s *openapi3.Schema) {
			if len(s.AllOf) > 0 && allObjects(s.AllOf) {
				flatten(s)
			}
		}, func(s *openapi3.Schema) {
			if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
				no := false
				s.AdditionalProperties.Has = &no
			}
		})
	})
	seen = map[*openapi3.Schema]bool{}
	for name, s := range doc.Components.Schemas {
		if strings.HasPrefix(name, "Open311") {
			seen[s.Value] = true
		}
	}
	EachAnswerSchema(doc, func(ref *openapi3.SchemaRef) {
		walk(ref, seen, nil, func(s *openapi3.Schema) {
			if s.Type.Is(openapi3.TypeString) && s.Format == "date-time" && s.Pattern == "" {
				s.Pattern = UTCPattern
			}
		})
	})
}

// walk calls pre on each schema under ref, once, before its subschemas
// are walked, and post after.
func walk(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool, pre, post func(*openapi3.Schema)) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if pre != nil {
		pre(s)
	}
	for _, p := range s.Properties {
		walk(p, seen, pre, post)
	}
	for _, group := range []openapi3.SchemaRefs{s.AnyOf, s.OneOf, s.AllOf} {
		for _, p := range group {
			walk(p, seen, pre, post)
		}
	}
	walk(s.Items, seen, pre, post)
	walk(s.AdditionalProperties.Schema, seen, pre, post)
	if post != nil {
		post(s)
	}
}

// flatten merges an allOf of objects into s itself: properties and
// required of every part (each flattened first) and of s.
func flatten(s *openapi3.Schema) {
	props := openapi3.Schemas{}
	var required []string
	for _, p := range append(s.AllOf, &openapi3.SchemaRef{Value: s}) {
		v := p.Value
		if v != s && len(v.AllOf) > 0 {
			flatten(v)
		}
		for name, prop := range v.Properties {
			props[name] = prop
		}
		required = append(required, v.Required...)
	}
	s.AllOf, s.Properties, s.Required, s.Type = nil, props, dedupe(required), &openapi3.Types{openapi3.TypeObject}
}

// EachAnswerSchema calls f with the top-level schema of every documented
// answer body.
func EachAnswerSchema(doc *openapi3.T, f func(*openapi3.SchemaRef)) {
	responses := func(rs map[string]*openapi3.ResponseRef) {
		for _, r := range rs {
			if r.Value != nil {
				for _, mt := range r.Value.Content {
					f(mt.Schema)
				}
			}
		}
	}
	responses(doc.Components.Responses)
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Responses != nil {
				responses(op.Responses.Map())
			}
		}
	}
}

// EachSchema calls f with every schema the document's operations and
// components use at their top level (f walks deeper itself).
func EachSchema(doc *openapi3.T, f func(*openapi3.SchemaRef)) {
	content := func(c openapi3.Content) {
		for _, mt := range c {
			f(mt.Schema)
		}
	}
	params := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p.Value != nil {
				f(p.Value.Schema)
				content(p.Value.Content)
			}
		}
	}
	responses := func(rs map[string]*openapi3.ResponseRef) {
		for _, r := range rs {
			if r.Value != nil {
				content(r.Value.Content)
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		f(s)
	}
	for _, p := range doc.Components.Parameters {
		params(openapi3.Parameters{p})
	}
	for _, b := range doc.Components.RequestBodies {
		if b.Value != nil {
			content(b.Value.Content)
		}
	}
	responses(doc.Components.Responses)
	for _, item := range doc.Paths.Map() {
		params(item.Parameters)
		for _, op := range item.Operations() {
			params(op.Parameters)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				content(op.RequestBody.Value.Content)
			}
			if op.Responses != nil {
				responses(op.Responses.Map())
			}
		}
	}
}

func allObjects(parts openapi3.SchemaRefs) bool {
	for _, p := range parts {
		v := p.Value
		if v == nil || !(v.Type.Is(openapi3.TypeObject) || len(v.Properties) > 0 || (len(v.AllOf) > 0 && allObjects(v.AllOf))) {
			return false
		}
	}
	return true
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Contract checks exchanges with a server at one base URL against the
// strict copy of the document.
type Contract struct {
	tb     testing.TB
	base   string
	router routers.Router
}

// New loads the document, makes it strict and routes it at baseURL.
func New(tb testing.TB, baseURL string) *Contract {
	tb.Helper()
	doc := Load(tb)
	Strict(doc)
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return &Contract{tb: tb, base: baseURL, router: router}
}

// Check reports, as test errors, where one exchange leaves the document:
// the request, when the server accepted it (a 2xx), must fit its
// parameters and body; the answer must be a documented status and fit its
// schema. req is the request as sent, reqBody its body.
func (k *Contract) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) {
	tb := k.tb
	tb.Helper()
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := k.router.FindRoute(vreq)
	if err != nil {
		tb.Errorf("%s %s: not in the document: %v", req.Method, req.URL.Path, err)
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	if status < 300 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			tb.Errorf("%s %s: the request the server accepted does not fit the document: %v", req.Method, req.URL.RequestURI(), err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		tb.Errorf("%s %s → %d: the answer does not fit the document: %v\n%s", req.Method, req.URL.RequestURI(), status, err, body)
	}
}

// Do sends a request with an optional bearer token and JSON (or other
// contentType) body, checks the exchange, and returns the status and the
// answer's body.
func (k *Contract) Do(tok, method, path, contentType, body string) (int, []byte) {
	tb := k.tb
	tb.Helper()
	req, err := http.NewRequest(method, k.base+path, bytes.NewReader([]byte(body)))
	if err != nil {
		tb.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	k.Check(req, []byte(body), res.StatusCode, res.Header, got)
	return res.StatusCode, got
}
