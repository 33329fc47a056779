package api_test

import (
	"regexp"
	"strings"
	"testing"
)

// latinWord is an English word (three Latin letters or more) that a
// Chinese reader should not meet in a message: a JSON field name, a wire
// status, a Go error.
var latinWord = regexp.MustCompile(`[A-Za-z]{3,}`)

// TestValidationSpeaksChinese: a refused field is named by its Chinese
// label, a span's fault and a status in Chinese words; the English
// message keeps the field's JSON name.
func TestValidationSpeaksChinese(t *testing.T) {
	srv, st := newServer(t)
	secretary := token(t, st, "c1-secretary")
	clerk := token(t, st, "s1-police")
	admin := token(t, st, "admin")
	for _, tc := range []struct {
		name, tok, method, path, body string
		zh, en                        string
	}{
		{"RequiredReason", secretary, "POST", "/api/v1/cases/X/escalate", `{}`, "理由为必填字段", "reason is a required field"},
		{"TimelinessAtMostFive", secretary, "POST", "/api/v1/cases/X/evaluations", `{"department_id":"s1-police","timeliness":6,"quality":5,"attitude":5,"satisfaction":"satisfied"}`, "及时性必须小于或等于5", "timeliness must be 5 or less"},
		{"RequiredResult", clerk, "POST", "/api/v1/tasks/X/feedback", `{"notes":"x"}`, "处置结果为必填字段", "result is a required field"},
		{"ReturnReason", clerk, "POST", "/api/v1/tasks/X/return", `{}`, "理由为必填字段", "reason is a required field"},
		{"TitleType", secretary, "POST", "/api/v1/cases", `{"title": 5}`, "字段「标题」类型错误：应为文本", "field title has the wrong type: string expected"},
		{"NestedLatitude", secretary, "POST", "/api/v1/cases", `{"title":"t","location":{"address":"a","lat":"x"}}`, "字段「纬度」类型错误：应为数字", "field location.lat has the wrong type"},
		{"ControlCharacter", secretary, "POST", "/api/v1/tasks/X/return", "{\"reason\":\"a\\u0000b\"}", "字段「理由」含控制字符", "field reason contains the control character"},
		{"ZeroSpan", admin, "PUT", "/api/v1/admin/sla-policies/key", `{"level":"street","report_within":"0m","handle_within":"1d"}`, "报到时限「0m」不能为零", "report_within is invalid"},
		{"BadSpan", admin, "PUT", "/api/v1/admin/sla-policies/key", `{"level":"street","report_within":"2h","handle_within":"3dd"}`, "办结时限「3dd」", "handle_within is invalid"},
		{"ReportLongerThanHandle", admin, "PUT", "/api/v1/admin/sla-policies/key", `{"level":"street","report_within":"2d","handle_within":"1d"}`, "报到时限 2d 不能长于办结时限 1d", "must not be longer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zh := call(t, srv, tc.tok, tc.method, tc.path, tc.body)
			en := call(t, srv, tc.tok, tc.method, tc.path, tc.body, "Accept-Language", "en")
			if zh.status != 400 || en.status != 400 || errCode(zh) != "invalid" {
				t.Fatalf("status %d / %d, code %q: %v", zh.status, en.status, errCode(zh), zh.body)
			}
			msg := errMessage(zh)
			if !strings.Contains(msg, tc.zh) {
				t.Errorf("zh message %q lacks %q", msg, tc.zh)
			}
			// Only the value the user typed ("3dd", "0m") may stay Latin.
			for _, w := range latinWord.FindAllString(msg, -1) {
				if !strings.Contains(tc.body, w) || strings.Contains(tc.body, `"`+w+`"`) {
					t.Errorf("zh message %q has the English word %q", msg, w)
				}
			}
			if !strings.Contains(errMessage(en), tc.en) {
				t.Errorf("en message %q lacks %q", errMessage(en), tc.en)
			}
		})
	}
}
