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
			return whistle.Errorf(whistle.EInvalid, "字段 %s "+zh, "field %s "+en, fieldPath(path))
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
					return whistle.Errorf(whistle.EInvalid, "字段 %s 的键 "+zh, "a key of field %s "+en, fieldPath(path))
				}
			}
			if err := walkText(v.MapIndex(k), fmt.Sprintf("%s[%s]", fieldPath(path), key)); err != nil {
				return err
			}
		}
	}
	return nil
}

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
