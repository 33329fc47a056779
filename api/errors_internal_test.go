package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/whistle"
)

// TestFailStatuses: each code a workflow or the store may return answers
// its status with the envelope, in the caller's language; a rate limit
// (an urge within the hour) is a 429.
func TestFailStatuses(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	tests := []struct {
		code   string
		status int
	}{
		{whistle.EInvalid, http.StatusBadRequest},
		{whistle.ENotFound, http.StatusNotFound},
		{whistle.EConflict, http.StatusConflict},
		{whistle.EForbidden, http.StatusForbidden},
		{whistle.ERateLimited, http.StatusTooManyRequests},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			for _, lang := range []string{"zh", "en"} {
				w := httptest.NewRecorder()
				c, _ := gin.CreateTestContext(w)
				c.Request = httptest.NewRequest("POST", "/api/v1/tasks/T1/urge?lang="+lang, nil)
				fail(c, whistle.Errorf(tc.code, "该任务一小时内已催办", "the task was urged within the hour"))
				var env envelope
				if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"zh": "该任务一小时内已催办", "en": "the task was urged within the hour"}[lang]
				if w.Code != tc.status || env.Error.Code != tc.code || env.Error.Message != want {
					t.Errorf("%s: %d %+v, want %d %s %q", lang, w.Code, env.Error, tc.status, tc.code, want)
				}
			}
		})
	}
}
