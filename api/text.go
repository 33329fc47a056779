package api

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/shaobao/shaobao/whistle"
)

// Text a person can type: valid UTF-8 without control characters, except
// the line break and the tab (and the carriage return of CRLF, which HTML
// forms send for every line break of a textarea). A NUL passed every
// length check before, counted as a non-blank title, and PostgreSQL
// refused the case's projection forever.

// badText describes what is wrong with s as typed text, or "" when nothing.
func badText(s string) (zh, en string) {
	if !utf8.ValidString(s) {
		return "不是合法的 UTF-8 文本", "is not valid UTF-8 text"
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return fmt.Sprintf("含控制字符 U+%04X（只允许换行和制表符）", r),
				fmt.Sprintf("contains the control character U+%04X (only line breaks and tabs are allowed)", r)
		}
	}
	return "", ""
}

// textValidator runs gin's validator, then checks every string of the
// bound request, so no handler can forget a field.
type textValidator struct{ binding.StructValidator }

func (v textValidator) ValidateStruct(obj any) error {
	if err := v.StructValidator.ValidateStruct(obj); err != nil {
		return err
	}
	return checkText(obj)
}

// checkText refuses any string in v (a request struct, slice or map, at
// any depth, map keys included) that is not typed text, with an invalid
// error naming the field by its JSON path ("location.address",
// "evidence[0]", "attribute[title]").
func checkText(v any) error {
	return walkText(reflect.ValueOf(v), "")
}

func walkText(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkText(v.Elem(), path)
	case reflect.String:
		if zh, en := badText(v.String()); zh != "" {
			return &textError{coded: whistle.Errorf(whistle.EInvalid, "字段「%[1]s」"+zh, "field %[2]s "+en, fieldLabel(path), fieldPath(path)),
				named: "字段 " + fieldPath(path) + " " + zh}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			sub := path
			if !f.Anonymous {
				sub = joinPath(path, requestFieldName(f))
			}
			if err := walkText(v.Field(i), sub); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes, not text
		}
		for i := range v.Len() {
			if err := walkText(v.Index(i), fmt.Sprintf("%s[%d]", fieldPath(path), i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			key := fmt.Sprint(k)
			if k.Kind() == reflect.String {
				if zh, en := badText(key); zh != "" {
					return &textError{coded: whistle.Errorf(whistle.EInvalid, "字段「%[1]s」的键"+zh, "a key of field %[2]s "+en, fieldLabel(path), fieldPath(path)),
						named: "字段 " + fieldPath(path) + " 的键" + zh}
				}
			}
			if err := walkText(v.MapIndex(k), fmt.Sprintf("%s[%s]", fieldPath(path), key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// textError is a refused text field: its message names the field by its
// label, named by its JSON path (for Open311's integrations, see bindError).
type textError struct {
	coded *whistle.Error
	named string
}

func (e *textError) Error() string { return e.coded.Error() }
func (e *textError) Unwrap() error { return e.coded }

// requestFieldName is the name a client uses for f: its JSON name, else
// its form name, else its Go name.
func requestFieldName(f reflect.StructField) string {
	for _, tag := range []string{"json", "form"} {
		if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
			return name
		}
	}
	return f.Name
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func fieldPath(path string) string {
	if path == "" {
		return "(body)"
	}
	return path
}

// textGuard refuses a request whose path or query parameters are not
// typed text, naming the parameter: they reach searches and lookups in
// the database like any body field.
func textGuard() gin.HandlerFunc {
	return func(c *gin.Context) {
		if zh, en := badText(c.Request.URL.Path); zh != "" {
			fail(c, &whistle.Error{Code: whistle.EInvalid, Message: "请求地址" + zh, MessageEN: "the request path " + en})
			return
		}
		query := c.Request.URL.Query()
		names := make([]string, 0, len(query))
		for name := range query {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if zh, en := badText(name); zh != "" {
				fail(c, &whistle.Error{Code: whistle.EInvalid, Message: "查询参数名" + zh, MessageEN: "a query parameter name " + en})
				return
			}
			for _, v := range query[name] {
				if zh, en := badText(v); zh != "" {
					fail(c, whistle.Errorf(whistle.EInvalid, "查询参数 %s "+zh, "query parameter %s "+en, name))
					return
				}
			}
		}
		c.Next()
	}
}

// fieldLabels names every JSON field of a request for a Chinese reader:
// a refusal says "理由为必填字段", not "reason为必填字段". A test
// (TestEveryBoundFieldHasALabel) keeps it complete.
var fieldLabels = map[string]string{
	"accept": "是否接收", "accept_within": "受理时限", "account_id": "账户编号", "action": "操作", "address": "地址",
	"address_id": "地址编号", "address_string": "地址", "answer": "答复内容", "api_key": "接口密钥", "approve": "是否批准",
	"attitude": "态度", "attribute": "附加属性", "call_at": "来电时间", "caller_name": "来电人姓名", "caller_phone": "来电号码",
	"catalogue_item": "吹哨事项", "category": "类别", "class": "哨类", "comment": "意见", "community_id": "社区",
	"content": "诉求内容", "date": "日期", "dates": "按日期安排", "days": "日期", "default_class": "默认哨类",
	"default_satisfaction": "默认满意度", "department_id": "部门", "department_ids": "部门", "department_kinds": "部门类别",
	"description": "问题描述", "device_id": "设备编号", "dispatch_to": "派往单位", "display_name": "姓名", "due": "督办期限",
	"email": "电子邮箱", "evaluate_within": "评价时限", "events": "事件", "evidence": "证据链接", "expires_at": "到期时间",
	"extra": "延长时长", "first_name": "名", "from": "开始", "grant": "是否同意", "grid_id": "网格编号",
	"handle_within": "办结时限", "id": "编号", "into": "并入案件", "jurisdiction_id": "辖区编号", "kind": "类型",
	"last_name": "姓", "lat": "纬度", "level": "层级", "levels": "层级", "location": "位置", "long": "经度", "lon": "经度",
	"media_url": "照片链接", "message": "内容", "min_cases": "参与排名最少案件数", "name": "名称", "name_en": "英文名称",
	"new": "新密码", "notes": "说明", "old": "原密码", "org_unit_id": "单位", "owner_id": "归属单位或部门", "owner_kind": "归属类型",
	"parent_id": "上级单位", "passed": "是否通过", "password": "密码", "phone": "手机号", "quality": "质量", "reason": "理由",
	"relation": "关系", "report_within": "报到时限", "request_type": "诉求类型", "requirement": "督办要求", "reroute_task_id": "改派的任务",
	"result": "处置结果", "review": "是否本级审核", "role": "角色", "satisfaction": "满意度", "service_code": "服务类型",
	"source": "来源", "street_weight": "街乡评价权重", "task_id": "任务", "ticket_no": "工单编号", "timeliness": "及时性",
	"title": "标题", "to": "结束", "ttl": "有效期", "until": "延至", "user_id": "用户", "username": "用户名",
	"warn_red": "红色预警比例", "warn_yellow": "黄色预警比例", "weekday": "星期", "weekly": "每周值班",
	"photos": "照片", "evidence_files": "处置后照片", "before_files": "处置前照片", "case_ids": "案件", "departments": "部门",
	"n": "数量", "weeks": "周数",
	"month": "月份", "case_id": "案件", "rate": "指标", "uphold": "是否支持申诉", // appeals.go
	"period": "评议季度", "scores": "评分", "work": "工作评分", "cooperation": "配合评分", "residents": "居民代表评分", // periodic.go
	"method": "回访方式", "at": "回访时间", "reached": "是否联系上居民", "note": "回访记录", // callback.go
}

// fieldLabel is the Chinese label of a field named by its JSON path
// ("location.lat" → "纬度", "evidence[1]" → "证据链接第 2 项"), or the path
// itself for a field without one.
func fieldLabel(path string) string {
	if path == "" || path == "(body)" {
		return "请求体"
	}
	name, index := path, ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name, index = name[:i], name[i:]
	}
	l, ok := fieldLabels[name]
	if !ok {
		return path
	}
	var n int
	if _, err := fmt.Sscanf(index, "[%d]", &n); err == nil {
		return fmt.Sprintf("%s第 %d 项", l, n+1)
	}
	return l + index
}
