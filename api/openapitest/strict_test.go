package openapitest_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/shaobao/shaobao/api/openapitest"
)

const tinyDoc = `{"openapi":"3.0.3","info":{"title":"t","version":"1"},
"paths":{"/x":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Ask"}}}},
 "responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/View"}}}}}}}},
"components":{"schemas":{
 "Ask":{"type":"object","properties":{"until":{"type":"string","format":"date-time"}}},
 "Base":{"type":"object","properties":{"id":{"type":"string"},"at":{"type":"string","format":"date-time"}},"required":["id"]},
 "View":{"allOf":[{"$ref":"#/components/schemas/Base"},{"type":"object","properties":{"title":{"type":"string"}}}]},
 "Map":{"type":"object","properties":{}}}}}`

// TestStrict: the strict copy refuses undocumented fields (through allOf
// too) and answers' non-UTC times, and keeps documented answers, free maps
// and requests' offsets valid.
func TestStrict(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(tinyDoc))
	if err != nil {
		t.Fatal(err)
	}
	openapitest.Strict(doc)
	schema := func(name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	tests := []struct {
		name, schema string
		value        map[string]any
		ok           bool
	}{
		{"Documented", "Base", map[string]any{"id": "a", "at": "2026-03-02T01:30:00Z"}, true},
		{"UndocumentedField", "Base", map[string]any{"id": "a", "satisfied": 3}, false},
		{"TimeNotUTC", "Base", map[string]any{"id": "a", "at": "2026-03-02T09:30:00+08:00"}, false},
		{"AllOfBothParts", "View", map[string]any{"id": "a", "title": "t"}, true},
		{"AllOfUndocumented", "View", map[string]any{"id": "a", "title": "t", "extra": true}, false},
		{"AllOfKeepsRequired", "View", map[string]any{"title": "t"}, false},
		{"FreeMap", "Map", map[string]any{"anything": 1}, true},
		{"RequestMayUseAnOffset", "Ask", map[string]any{"until": "2026-03-02T09:30:00+08:00"}, true},
		{"RequestUndocumentedField", "Ask", map[string]any{"until": "2026-03-02T01:30:00Z", "extra": 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schema(tt.schema).VisitJSON(tt.value)
			if (err == nil) != tt.ok {
				t.Fatalf("VisitJSON(%v) = %v, want ok=%v", tt.value, err, tt.ok)
			}
		})
	}
}
