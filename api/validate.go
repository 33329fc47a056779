package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/locales/en"
	"github.com/go-playground/locales/zh"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	enTrans "github.com/go-playground/validator/v10/translations/en"
	zhTrans "github.com/go-playground/validator/v10/translations/zh"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

var (
	translatorsOnce sync.Once
	translators     *ut.UniversalTranslator
)

// setupValidator makes gin's validator report JSON field names and speak
// Chinese and English. It runs once per process.
func setupValidator() {
	translatorsOnce.Do(func() {
		v, ok := binding.Validator.Engine().(*validator.Validate)
		if !ok {
			return
		}
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			if name == "" {
				return f.Name
			}
			return name
		})
		zhLocale, enLocale := zh.New(), en.New()
		translators = ut.New(zhLocale, zhLocale, enLocale)
		zt, _ := translators.GetTranslator("zh")
		et, _ := translators.GetTranslator("en")
		_ = zhTrans.RegisterDefaultTranslations(v, zt)
		_ = enTrans.RegisterDefaultTranslations(v, et)
		_ = v.RegisterValidation("httpurl", func(fl validator.FieldLevel) bool { return isHTTPURL(fl.Field().String()) })
		for t, msg := range map[ut.Translator]string{zt: "{0}必须是以 http:// 或 https:// 开头的完整网址", et: "{0} must be an absolute http:// or https:// URL"} {
			_ = v.RegisterTranslation("httpurl", t, func(t ut.Translator) error { return t.Add("httpurl", msg, true) },
				func(t ut.Translator, fe validator.FieldError) string { s, _ := t.T("httpurl", fe.Field()); return s })
		}
		// Every bound request (JSON, strict JSON, Open311 forms) has its
		// text checked after its tags, whatever its type.
		binding.Validator = textValidator{binding.Validator}
	})
}

// bindJSON decodes and validates the body into dst, turning every failure
// into an invalid error a person can act on.
func bindJSON(c *gin.Context, dst any) error {
	if c.Request.Body == nil || c.Request.ContentLength == 0 {
		return whistle.Errorf(whistle.EInvalid, "请求体不能为空，需要 JSON", "request body is empty; JSON expected")
	}
	err := c.ShouldBindJSON(dst)
	if err == nil {
		return nil
	}
	return bindError(c, err)
}

func bindError(c *gin.Context, err error) error {
	var (
		syntax    *json.SyntaxError
		typ       *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		invalid   validator.ValidationErrors
		unmarshal *json.InvalidUnmarshalError
		coded     *whistle.Error
		text      *textError
	)
	switch {
	case errors.As(err, &tooLarge):
		return whistle.Errorf(whistle.EInvalid, "请求体过大（上限 %d 字节）", "request body too large (limit %d bytes)", tooLarge.Limit)
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return whistle.Errorf(whistle.EInvalid, "请求体不是合法的 JSON", "request body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return whistle.Errorf(whistle.EInvalid, "字段「%[1]s」类型错误：应为%[2]s", "field %[3]s has the wrong type: %[4]s expected", fieldLabel(field), jsonKindZH(typ.Type), field, jsonKind(typ.Type))
	case errors.As(err, &invalid):
		zt, _ := translators.GetTranslator("zh")
		et, _ := translators.GetTranslator("en")
		var zhMsgs, enMsgs []string
		for _, fe := range invalid {
			// The zh messages name the field by its JSON name; a Chinese
			// reader gets its label instead ("reason为必填字段" → "理由为必填字段").
			// Open311 speaks to an integration's developer: its names stay.
			zh := fe.Translate(zt)
			if !isOpen311(c) {
				zh = strings.Replace(zh, fe.Field(), fieldLabel(fe.Field()), 1)
			}
			zhMsgs = append(zhMsgs, zh)
			enMsgs = append(enMsgs, fe.Translate(et))
		}
		return &whistle.Error{Code: whistle.EInvalid, Message: strings.Join(zhMsgs, "；"), MessageEN: strings.Join(enMsgs, "; ")}
	case errors.As(err, &unmarshal):
		return fmt.Errorf("bind request: %w", err)
	case errors.As(err, &text):
		if isOpen311(c) {
			return &whistle.Error{Code: text.coded.Code, Message: text.named, MessageEN: text.coded.MessageEN}
		}
		return text.coded
	case errors.As(err, &coded):
		return coded
	}
	return whistle.Errorf(whistle.EInvalid, "请求无法解析：%v", "cannot read the request: %v", err)
}

// jsonKindZH names the JSON kind of t for a Chinese reader.
func jsonKindZH(t reflect.Type) string {
	if zh, ok := map[string]string{"string": "文本", "boolean": "布尔值", "integer": "整数", "number": "数字",
		"array": "列表", "object": "对象"}[jsonKind(t)]; ok {
		return zh
	}
	return "其他类型"
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "?"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.String()
}

// isHTTPURL reports whether s is an absolute http or https URL with a
// host: the only links a case may carry (evidence, Open311 media_url), so
// no javascript:, data: or file: link reaches a reader's browser.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// spanError refuses the span v of the field name with the reason in both
// languages: worktime's parser speaks English only ("span \"0m\" is zero").
func spanError(name, v string, err error) error {
	reason := "写法无效"
	msg := err.Error()
	switch {
	case strings.TrimSpace(v) == "":
		reason = "不能为空"
	case strings.Contains(msg, "is zero"):
		reason = "不能为零"
	case strings.Contains(msg, "negative"):
		reason = "不能为负数"
	case strings.Contains(msg, "longer than"):
		reason = fmt.Sprintf("不能超过 %d 天", worktime.MaxSpanDays)
	case strings.Contains(msg, "days must be"):
		reason = "天数须为写在最前面的整数"
	}
	return whistle.Errorf(whistle.EInvalid, "%[1]s「%[2]s」%[3]s（写法如 30m、2h、3d）", "%[4]s is invalid: %[5]v (e.g. 30m, 2h, 3d)",
		fieldLabel(name), v, reason, name, err)
}
