package api_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/api"
)

var camelCase = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// TestOpenAPIOperationIDs: every operation has an operationId, camelCase
// and unique, so a generated client gets fileCase, not PostApiV1Cases.
func TestOpenAPIOperationIDs(t *testing.T) {
	doc := loadOpenAPI(t)
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			switch id := op.OperationID; {
			case id == "":
				t.Errorf("%s has no operationId", where)
			case !camelCase.MatchString(id):
				t.Errorf("%s: operationId %q is not camelCase", where, id)
			case seen[id] != "":
				t.Errorf("operationId %q names both %s and %s", id, seen[id], where)
			default:
				seen[id] = where
			}
		}
	}
	// The names generated clients already use must not drift.
	for id, where := range map[string]string{
		"fileCase": "POST /api/v1/cases", "listCases": "GET /api/v1/cases", "getCase": "GET /api/v1/cases/{id}",
		"whistleCase": "POST /api/v1/cases/{id}/whistle", "escalateCase": "POST /api/v1/cases/{id}/escalate",
		"reportTask": "POST /api/v1/tasks/{id}/report", "listTasks": "GET /api/v1/tasks",
	} {
		if seen[id] != where {
			t.Errorf("operationId %q names %q, want %s", id, seen[id], where)
		}
	}
}

// TestOpenAPINumbersAreDouble: every number in the document, at any depth
// (schemas, parameters, bodies, answers), is format double, so generators
// make float64 and a filed longitude 116.417456 comes back as it went.
func TestOpenAPINumbersAreDouble(t *testing.T) {
	var doc any
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "number" {
				n++
				if v["format"] != "double" {
					t.Errorf("%s: type number without format double (format %v)", strings.Join(path, "/"), v["format"])
				}
			}
			for k, x := range v {
				walk(x, append(path, k))
			}
		case []any:
			for _, x := range v {
				walk(x, append(path, "[]"))
			}
		}
	}
	walk(doc, nil)
	if n < 10 {
		t.Fatalf("only %d numbers found: the walk missed the schemas", n)
	}
	loc := loadOpenAPI(t).Components.Schemas["Location"].Value
	for _, f := range []string{"lat", "lon"} {
		if got := loc.Properties[f].Value.Format; got != "double" {
			t.Errorf("Location.%s format %q, want double", f, got)
		}
	}
}

// TestOpenAPIClassRule: the document says what the server does when a
// filing has no class: required unless the catalogue item gives one.
func TestOpenAPIClassRule(t *testing.T) {
	class := loadOpenAPI(t).Components.Schemas["FileCaseRequest"].Value.Properties["class"].Value
	for _, want := range []string{"catalogue_item", "default class", "400", "请选择哨类 class"} {
		if !strings.Contains(class.Description, want) {
			t.Errorf("FileCaseRequest.class description %q does not mention %q", class.Description, want)
		}
	}
}
