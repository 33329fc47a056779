package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// A case whose title or escalation reason is a formula reaches the CSV
// exports as text (a leading single quote, as OWASP advises) and the XLSX
// exports unchanged (typed cells are never formulas); plain text and the
// numeric columns stay as they were.
func TestSupervisionExportsNeutraliseFormulas(t *testing.T) {
	srv, st := newServer(t)
	k := closedDemoCase("SBX2", thisMonth())
	k.Title = `=HYPERLINK("http://x","y")`
	k.Escalations[0].Reason = "@SUM(A1:A9)"
	if err := st.ApplyCase(context.Background(), k, nil); err != nil {
		t.Fatal(err)
	}
	tok := token(t, st, "d1-supervisor")
	for _, tc := range []struct {
		name, path, file string
		want             map[string]string // CSV header → cell
	}{
		{"Breaches", "/api/v1/supervision/breaches", "breaches",
			map[string]string{"案件标题": `'=HYPERLINK("http://x","y")`, "案件编号": "SBX2", "部门名称": "和平派出所"}},
		{"Escalations", "/api/v1/supervision/escalations", "escalations",
			map[string]string{"案件标题": `'=HYPERLINK("http://x","y")`, "原因": "'@SUM(A1:A9)", "序号": "5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := download(t, srv, tok, tc.path+"?format=csv", "text/csv", tc.file)
			recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 2 {
				t.Fatalf("records %v", recs)
			}
			col := map[string]int{}
			for i, h := range recs[0] {
				col[h] = i
			}
			for h, want := range tc.want {
				if got := recs[1][col[h]]; got != want {
					t.Errorf("CSV %s = %q, want %q", h, got, want)
				}
			}
			f, err := excelize.OpenReader(bytes.NewReader(download(t, srv, tok, tc.path+"?format=xlsx", "application/vnd.openxmlformats", tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sheet := f.GetSheetName(0)
			cell, _ := excelize.CoordinatesToCellName(col["案件标题"]+1, 2)
			if v, _ := f.GetCellValue(sheet, cell); v != k.Title {
				t.Errorf("XLSX title = %q, want %q", v, k.Title)
			}
			if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
				t.Errorf("XLSX title is a formula: %q", formula)
			}
		})
	}
}
