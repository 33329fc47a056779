package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestEveryBoundFieldHasALabel: every request field the validator checks
// (a binding tag) has a Chinese label, so no refusal names a field by its
// JSON name to a Chinese reader.
func TestEveryBoundFieldHasALabel(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			field, ok := node.(*ast.Field)
			if !ok || field.Tag == nil {
				return true
			}
			raw, _ := strconv.Unquote(field.Tag.Value)
			tag := reflect.StructTag(raw)
			if _, bound := tag.Lookup("binding"); !bound {
				return true
			}
			json := requestFieldName(reflect.StructField{Name: "?", Tag: tag})
			n++
			if _, ok := fieldLabels[json]; !ok {
				t.Errorf("%s: field %q has no label in fieldLabels (api/text.go)", fset.Position(field.Pos()), json)
			}
			return true
		})
	}
	if n < 50 {
		t.Errorf("found only %d bound fields: the scan is broken", n)
	}
}

func TestFieldLabel(t *testing.T) {
	for path, want := range map[string]string{
		"reason": "理由", "location.lat": "纬度", "evidence[1]": "证据链接第 2 项", "": "请求体", "no_such_field": "no_such_field",
	} {
		if got := fieldLabel(path); got != want {
			t.Errorf("fieldLabel(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestStatusWordsZH(t *testing.T) {
	if got := statusWordsZH.Replace("案件当前状态为「open」，不能核查；任务当前状态为「return_requested」"); got != "案件当前状态为「办理中」，不能核查；任务当前状态为「退回待答复」" {
		t.Errorf("got %q", got)
	}
}
