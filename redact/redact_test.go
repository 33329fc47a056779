package redact

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Empty", "", ""},
		{"Plain", "https://hooks.example.org/x?event=case", "https://hooks.example.org/x?event=case"},
		{"BasicAuthPassword", "https://ops:hunter2@hooks.example.org/notify", "https://ops:xxxxx@hooks.example.org/notify"},
		{"UserWithoutPassword", "postgres://shaobao@db:5432/shaobao", "postgres://shaobao@db:5432/shaobao"},
		{"DingTalk", "https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1700000000&sign=c2lnbg%3D%3D",
			"https://oapi.dingtalk.com/robot/send?access_token=xxxxx&timestamp=1700000000&sign=xxxxx"},
		{"WeCom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx", "https://qyapi.weixin.qq.com/cgi-bin/webhook/xxxxx?key=xxxxx"},
		{"Feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f", "https://open.feishu.cn/open-apis/bot/v2/hook/xxxxx"},
		{"NamesWithoutCaseAndSeparators", "https://h/p?API-Key=1&apikey=2&client_secret=3&Password=4&X-Amz-Signature=5&X-Amz-Credential=6&appSecret=7&Token=8&signature=9&pwd=10",
			"https://h/p?API-Key=xxxxx&apikey=xxxxx&client_secret=xxxxx&Password=xxxxx&X-Amz-Signature=xxxxx&X-Amz-Credential=xxxxx&appSecret=xxxxx&Token=xxxxx&signature=xxxxx&pwd=xxxxx"},
		{"EscapedName", "https://h/p?access%5Ftoken=s3cret", "https://h/p?access%5Ftoken=xxxxx"},
		{"WordsThatOnlyLookLikeSecrets", "https://h/p?design=a&signal=b&keyword=c&page=2", "https://h/p?design=a&signal=b&keyword=c&page=2"},
		{"EmptySecretStaysEmpty", "https://h/p?token=&x=1", "https://h/p?token=&x=1"},
		{"Fragment", "https://h/cb#access_token=abc&state=s", "https://h/cb#access_token=xxxxx&state=s"},
		{"DatabaseQueryPassword", "postgres://u@db/x?sslmode=disable&password=pw", "postgres://u@db/x?sslmode=disable&password=xxxxx"},
		{"KeywordDSN", "host=db user=shaobao password=hunter2 sslmode=disable", "host=db user=shaobao password=xxxxx sslmode=disable"},
		{"KeywordDSNQuoted", "host=db password = 'hun ter\\'2' dbname=x", "host=db password = xxxxx dbname=x"},
		{"SQLitePath", "sqlite:/srv/shaobao/shaobao.db", "sqlite:/srv/shaobao/shaobao.db"},
		{"PasswordWithAt", "https://ops:p@ss@h/x?token=t", "https://ops:xxxxx@h/x?token=xxxxx"},
		{"UnparseableHidesAll", "https://ops:pw@h:bad/x?token=t", "https://xxxxx"},
		{"UnparseableNoScheme", "::not a url token=t", "xxxxx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := URL(tc.in); got != tc.want {
				t.Errorf("URL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// A failed request's error repeats its URL: Error masks it and keeps the
// chain (a timeout is still a timeout).
func TestErrorMasksTheURLOfAClientError(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/robot/send?access_token=s3cret", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = srv.Client().Do(req)
	if err == nil || !strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the client's error should show the token before masking: %v", err)
	}
	err = Error(err)
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "access_token=xxxxx") {
		t.Errorf("masked error = %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("masking lost the chain: %v", err)
	}
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}
