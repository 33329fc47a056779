package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// exportLimit caps the rows of one export; a wider one is refused with a
// request to narrow the filters.
const exportLimit = 100_000

// table is a supervision view ready to export: Chinese headers, one row of
// cells per item.
type table struct {
	file    string // base file name, ASCII
	fileZH  string // Chinese file name
	sheet   string
	headers []string
	rows    [][]any
	total   int64
}

func isExport(format string) bool { return format == "csv" || format == "xlsx" }

// export writes t as CSV (UTF-8 with a BOM, so Excel reads the Chinese
// right) or XLSX, as an attachment.
func (s *Server) export(c *gin.Context, format string, t table) {
	if t.total > exportLimit {
		fail(c, whistle.Errorf(whistle.EInvalid, "导出最多 %d 行，本次 %d 行：请缩小时间或范围", "an export holds at most %d rows, this one %d: narrow the period or the scope", exportLimit, t.total))
		return
	}
	var buf bytes.Buffer
	contentType := "text/csv; charset=utf-8"
	if format == "csv" {
		buf.WriteString("\ufeff")
		w := csv.NewWriter(&buf)
		_ = w.Write(t.headers)
		for _, r := range t.rows {
			_ = w.Write(csvRecord(r))
		}
		w.Flush()
		if err := w.Error(); err != nil {
			fail(c, fmt.Errorf("write csv: %w", err))
			return
		}
	} else {
		contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		if err := writeXLSX(&buf, t); err != nil {
			fail(c, err)
			return
		}
	}
	name := t.file + "." + format
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(t.fileZH+"."+format)))
	c.Data(http.StatusOK, contentType, buf.Bytes())
}

// writeXLSX writes t with typed cells (leaders.go's xlsxStream): times
// as dates, counts as numbers, rates as percentages, header frozen.
func writeXLSX(buf *bytes.Buffer, t table) error {
	widths := make([]float64, len(t.headers))
	for i, h := range t.headers {
		widths[i] = max(10, float64(len([]rune(h)))*2.2)
	}
	x, err := newXLSXStream(t.sheet, t.headers, widths)
	if err != nil {
		return err
	}
	defer x.close()
	for i, r := range t.rows {
		if err := x.row(r); err != nil {
			return fmt.Errorf("xlsx row %d: %w", i+1, err)
		}
	}
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	if _, err := x.f.WriteTo(buf); err != nil {
		return fmt.Errorf("xlsx write: %w", err)
	}
	return nil
}

// figure is a cell holding a computed figure as text ("-1.25", "50.00%",
// a rank): written as it is, while a string cell is text that may come
// from a user (a title, a reason, a name) and so is neutralised in CSV.
type figure string

// csvSafe neutralises a text cell that a spreadsheet would take for a
// formula (OWASP "CSV Injection"): one that starts with = + - @, a tab, a
// carriage return or a line feed (or a full-width = + - @, which some
// Chinese spreadsheets read too) gets a leading single quote, which
// spreadsheets hide and which makes the cell text. Only text cells go
// through it, column by column as the table builders type them: numeric
// columns (int64, figure) are no user text, and a negative number or a
// rate must stay a number. XLSX needs none of this: its cells are typed.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, p) {
			return "'" + s
		}
	}
	return s
}

// cellText renders a cell: times in China Standard Time, booleans 是/否.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case figure:
		return string(x)
	case code:
		return string(x)
	case decimal:
		return strconv.FormatFloat(float64(x), 'f', 2, 64)
	case percent:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(100**x, 'f', 2, 64) + "%"
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case bool:
		if x {
			return "是"
		}
		return "否"
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(worktime.Location).Format("2006-01-02 15:04:05")
	case *time.Time:
		if x == nil {
			return ""
		}
		return cellText(*x)
	}
	return fmt.Sprint(v)
}

var (
	levelZH  = map[string]string{"community": "社区", "street": "街道", "district": "区", "city": "市"}
	classZH  = map[string]string{"emergency": "应急哨", "key": "重点哨", "routine": "常规哨", "coordination": "协调哨"}
	breachZH = map[string]string{whistle.BreachReport: "未按时报到", whistle.BreachHandle: "未按时办结", whistle.BreachAccept: "未按时受理", whistle.BreachEscalation: "上报未按时答复",
		whistle.BreachSupervision: "督办未按时答复"}
	escZH       = map[string]string{whistle.EscalationRequested: "本级无法解决", whistle.EscalationHandleBreach: "处置超时", whistle.EscalationVerification: "多次核查不通过"}
	statusZH    = map[string]string{"open": "办理中", "verifying": "待核查", "evaluating": "待评价", "closed": "已结案"}
	escStatusZH = map[string]string{"": "直接升级", whistle.EscalationInReview: "本级审核中", whistle.EscalationPending: "待上级答复",
		whistle.EscalationAccepted: "上级已接收", whistle.EscalationReturned: "已退回"}
)

func zhOf(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

func breachTable(items []store.BreachView, total int64) table {
	t := table{file: "breaches", fileZH: "超时记录", sheet: "超时记录", total: total,
		headers: []string{"编号", "案件编号", "案件标题", "案件状态", "任务编号", "部门编号", "部门名称", "超时类型", "哨类", "所在层级", "期限", "发生时间", "已解决", "解决时间"}}
	for _, b := range items {
		t.rows = append(t.rows, []any{b.ID, b.CaseID, b.CaseTitle, zhOf(statusZH, b.CaseStatus), b.TaskID, b.DepartmentID, b.DepartmentName,
			zhOf(breachZH, b.Kind), zhOf(classZH, b.Class), zhOf(levelZH, string(b.Level)), b.Deadline, b.At, b.Resolved, b.ResolvedAt})
	}
	return t
}

func escalationTable(items []store.EscalationView, total int64) table {
	t := table{file: "escalations", fileZH: "升级记录", sheet: "升级记录", total: total,
		headers: []string{"案件编号", "案件标题", "案件状态", "序号", "哨类", "原层级", "升至层级", "原单位", "升至单位", "升级类型", "原因", "时间", "操作人",
			"答复状态", "答复期限", "答复超时", "答复时间", "答复人", "答复意见"}}
	for _, e := range items {
		t.rows = append(t.rows, []any{e.CaseID, e.CaseTitle, zhOf(statusZH, e.CaseStatus), e.Seq, zhOf(classZH, e.Class), zhOf(levelZH, string(e.From)), zhOf(levelZH, string(e.To)),
			code(e.FromOrgUnitID), code(e.ToOrgUnitID), zhOf(escZH, e.Kind), e.Reason, e.At, e.By,
			zhOf(escStatusZH, e.Status), e.AnswerDeadline, e.AnswerBreached, e.AnsweredAt, e.AnsweredBy, e.Comment})
	}
	return t
}

func ratesTable(rep store.RatesReport) table {
	period := rep.Month
	if period == "" {
		period = rep.From.In(worktime.Location).Format("20060102") + "-" + rep.To.In(worktime.Location).AddDate(0, 0, -1).Format("20060102")
	}
	t := table{file: "rates-" + rep.Group + "-" + period, fileZH: "督查指标-" + period, sheet: "督查指标",
		headers: []string{"编号", "名称", "层级", "案件数", "任务数",
			"响应率", "按时响应", "应响应",
			"解决率", "已解决", "应解决",
			"满意率", "满意", "基本满意", "不满意", "评价数", "默认评价（不计）", "回访未联系上（不计）", "未回访（不计）",
			"按期结案率", "按期结案", "应结案",
			"返工率", "核查未通过", "核查次数",
			"延期率", "获准延期", "任务数（不含退回）"}}
	row := func(r store.RatesRow) []any {
		return []any{code(r.ID), r.Name, zhOf(levelZH, r.Kind), r.Counts.Cases, r.Counts.Tasks,
			percent(r.Response.Rate), r.Response.Numerator, r.Response.Denominator,
			percent(r.Resolution.Rate), r.Resolution.Numerator, r.Resolution.Denominator,
			percent(r.Satisfaction.Rate), r.Satisfied, r.BasicallySatisfied, r.Dissatisfied, r.Satisfaction.Denominator, r.Counts.EvalsDefault,
			r.Counts.CbUnreached, r.Counts.CbExpired,
			percent(r.OnTimeClosure.Rate), r.OnTimeClosure.Numerator, r.OnTimeClosure.Denominator,
			percent(r.Rework.Rate), r.Rework.Numerator, r.Rework.Denominator,
			percent(r.Extension.Rate), r.Extension.Numerator, r.Extension.Denominator}
	}
	for _, r := range rep.Items {
		t.rows = append(t.rows, row(r))
	}
	t.rows = append(t.rows, row(rep.Total))
	return t
}

// rateZH and partZH name a drill-down's cell.
var (
	rateZH = map[string]string{store.RateResponse: "响应率", store.RateResolution: "解决率", store.RateSatisfaction: "满意率",
		store.RateOnTimeClosure: "按期结案率", store.RateRework: "返工率", store.RateExtension: "延期率",
		store.CountCallbacksUnreached: "回访未联系上", store.CountCallbacksExpired: "未回访"}
	partZH = map[string]string{store.PartNumerator: "分子", store.PartDenominator: "分母"}
)

// cellTable exports a drill-down: one row per share, its count last.
func cellTable(rep store.CellReport) table {
	period := rep.Month
	if period == "" {
		period = rep.From.In(worktime.Location).Format("20060102") + "-" + rep.To.In(worktime.Location).AddDate(0, 0, -1).Format("20060102")
	}
	cell := rateZH[rep.Rate] + partZH[rep.Part]
	if slices.Contains(store.CountNames, rep.Rate) {
		cell = rateZH[rep.Rate] // a count has no parts
	}
	t := table{file: "rate-cases-" + rep.Rate + "-" + rep.Part + "-" + period, fileZH: "指标明细-" + cell + "-" + period,
		sheet: "指标明细", total: rep.Total,
		headers: []string{"案件编号", "案件号", "案件标题", "案件状态", "立案时间", "组织路径", "部门编号", "任务编号", "计数"}}
	for _, it := range rep.Items {
		t.rows = append(t.rows, []any{it.CaseID, it.Number, it.CaseTitle, zhOf(statusZH, it.CaseStatus), it.FiledAt, it.OrgPath, it.DepartmentID, it.TaskID, it.Count})
	}
	return t
}

// shareZH names whose evaluations make a scorecard's weighted share.
var shareZH = map[string]string{store.ShareStreet: "街乡（街道及社区）", store.ShareDistrict: "区级（对市级部门）"}

func assessmentTable(rep store.AssessmentReport) table {
	t := table{file: fmt.Sprintf("assessment-%d", rep.Year), fileZH: fmt.Sprintf("%d年度考核", rep.Year), sheet: "年度考核",
		headers: []string{"排名", "部门编号", "部门名称", "层级", "案件数", "基层评价来源", "基层评价数", "基层评价得分", "按件评价得分", "定期评议得分", "定期评议数", "其他评价数", "其他评价得分", "默认评价（不计）",
			"响应率", "解决率", "按期结案率", "返工率", "履职得分", "基层评价权重", "总分", "未排名原因"}}
	for _, sc := range rep.Items {
		rank := figure("")
		if sc.Rank != nil {
			rank = figure(strconv.Itoa(*sc.Rank))
		}
		t.rows = append(t.rows, []any{rank, sc.DepartmentID, sc.Name, zhOf(levelZH, sc.Level), sc.Counts.Cases,
			shareZH[sc.Share], sc.ShareEvaluations, scoreCell(sc.StreetScore),
			// The share's two parts (docs/supervision.md, 定期评议): per-case
			// evaluations and the periodic ones, with their number.
			scoreCell(sc.CaseShareScore), scoreCell(sc.PeriodicScore), sc.PeriodicEvaluations, sc.OtherEvaluations, scoreCell(sc.OtherScore), sc.Counts.EvalsDefault,
			percent(sc.Response.Rate), percent(sc.Resolution.Rate), percent(sc.OnTimeClosure.Rate), percent(sc.Rework.Rate),
			scoreCell(sc.PerformanceScore), figure(strconv.FormatFloat(sc.StreetWeight, 'f', 4, 64)), scoreCell(sc.Total), sc.Unranked})
	}
	return t
}

// scoreCell is a score as a decimal cell, empty when undefined.
func scoreCell(v *float64) any {
	if v == nil {
		return nil
	}
	return decimal(*v)
}
