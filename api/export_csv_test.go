package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestCSVSafe(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Empty", "", ""},
		{"Text", "酒吧街噪音", "酒吧街噪音"},
		{"Equals", `=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"Plus", "+1+2", "'+1+2"},
		{"Minus", "-2+3", "'-2+3"},
		{"At", "@SUM(A1)", "'@SUM(A1)"},
		{"Tab", "\t=1", "'\t=1"},
		{"CarriageReturn", "\r=1", "'\r=1"},
		{"FullWidthEquals", "＝1+1", "'＝1+1"},
		{"EqualsInside", "a=b", "a=b"},
		{"Quote", "'quoted", "'quoted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := csvSafe(tc.in); got != tc.want {
				t.Errorf("csvSafe(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Only text cells are neutralised: numeric columns (int64, figure) keep a
// minus sign, so a spreadsheet still reads a number.
func TestCSVExportNeutralisesTextColumnsOnly(t *testing.T) {
	gin.SetMode(gin.TestMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("GET", "/x?format=csv", nil)
	(&Server{}).export(c, "csv", table{file: "t", fileZH: "t", sheet: "t", headers: []string{"text", "count", "score"},
		rows: [][]any{{"-1+1", int64(-3), figure("-1.25")}}})
	if got, want := strings.TrimPrefix(w.Body.String(), "\ufeff"), "text,count,score\n'-1+1,-3,-1.25\n"; got != want {
		t.Errorf("csv %q, want %q", got, want)
	}
}
