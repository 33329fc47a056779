package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// The admin routes share one shape: a write binds a strict body, checks
// it, calls the store, logs and answers with the row's view; a list reads
// its filters, calls the store and answers a page. These helpers are that
// shape, so each handler says only what differs.

// applyBody binds the strict JSON body into a Req, lets apply check it and
// write, and answers status with what apply returns. An error of either
// fails the request.
func applyBody[Req, Out any](c *gin.Context, status int, apply func(ctx context.Context, req *Req) (Out, error)) {
	var req Req
	if err := bindStrict(c, &req); err != nil {
		fail(c, err)
		return
	}
	out, err := apply(c.Request.Context(), &req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, out)
}

// saved finishes a store write for applyBody: on success it logs msg with
// attrs and returns the row's view; err passes through.
func saved[Row, View any](c *gin.Context, row Row, err error, view func(Row) View, msg string, attrs ...any) (View, error) {
	if err != nil {
		var zero View
		return zero, err
	}
	logger(c).Info(msg, attrs...)
	return view(row), nil
}

// noContent answers a write that returns nothing: 204 after logging msg
// with attrs, or err.
func noContent(c *gin.Context, err error, msg string, attrs ...any) {
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info(msg, attrs...)
	c.Status(http.StatusNoContent)
}

// answerPage answers page p of a list of total rows, or err.
func answerPage[Row, View any](c *gin.Context, rows []Row, total int64, p store.Page, err error, view func(Row) View) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(views(rows, view), total, p.Normalize()))
}

// answerAll answers a list that is not paged (listAll), or err.
func answerAll[Row, View any](c *gin.Context, rows []Row, err error, view func(Row) View) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listAll(rows, view))
}

// listAll is a list that is not paged: every row on one page.
func listAll[Row, View any](rows []Row, view func(Row) View) listResponse[View] {
	return newList(views(rows, view), int64(len(rows)), store.Page{Page: 1, PageSize: len(rows)})
}

func views[Row, View any](rows []Row, view func(Row) View) []View {
	out := make([]View, len(rows))
	for i, r := range rows {
		out[i] = view(r)
	}
	return out
}

// failed fails the request with the first error the reader kept, and
// reports whether there was one.
func (q *queryReader) failed() bool {
	if q.err != nil {
		fail(q.c, q.err)
	}
	return q.err != nil
}

// bindStrict is bindJSON that also refuses fields the request type does
// not know, so a misspelt field in an admin edit is an error rather than
// an edit silently dropped.
func bindStrict(c *gin.Context, dst any) error {
	if c.Request.Body == nil || c.Request.ContentLength == 0 {
		return whistle.Errorf(whistle.EInvalid, "请求体不能为空，需要 JSON", "request body is empty; JSON expected")
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return whistle.Errorf(whistle.EInvalid, "未知字段 %s", "unknown field %s", field)
		}
		return bindError(c, err)
	}
	if dec.More() {
		return whistle.Errorf(whistle.EInvalid, "请求体不是合法的 JSON", "request body is not valid JSON")
	}
	if err := binding.Validator.ValidateStruct(dst); err != nil {
		return bindError(c, err)
	}
	return nil
}

// requiredText trims v and refuses it blank.
func requiredText(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", whistle.Errorf(whistle.EInvalid, "%s 不能为空", "%s must not be blank", field)
	}
	return v, nil
}

// editedText is requiredText for an edit's field: nil (left out) stays nil.
func editedText(field string, v *string) (*string, error) {
	if v == nil {
		return nil, nil
	}
	t, err := requiredText(field, *v)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// trimmed trims an edit's optional text: nil (left out) stays nil.
func trimmed(v *string) *string {
	if v == nil {
		return nil
	}
	t := strings.TrimSpace(*v)
	return &t
}

// nothingToChange is the error of an edit that names no field.
func nothingToChange(fields string) error {
	return whistle.Errorf(whistle.EInvalid, "没有要修改的字段（可改：%s）", "nothing to change (fields: %s)", fields)
}
