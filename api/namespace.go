package api

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// namespaceCheckTTL is how long the answer of a namespace check is reused:
// probes and filings ask Temporal at most this often.
const namespaceCheckTTL = 10 * time.Second

// namespaceCheck caches the last check of the namespace's search
// attributes.
type namespaceCheck struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

func (s *Server) namespace() string {
	if s.Namespace == "" {
		return client.DefaultNamespace
	}
	return s.Namespace
}

// checkNamespace reports whether the namespace has the cases' search
// attributes (workflows.CheckSearchAttributes), asking Temporal at most
// once per namespaceCheckTTL.
func (s *Server) checkNamespace(ctx context.Context) error {
	s.nsCheck.mu.Lock()
	defer s.nsCheck.mu.Unlock()
	if !s.nsCheck.at.IsZero() && time.Since(s.nsCheck.at) < namespaceCheckTTL {
		return s.nsCheck.err
	}
	err := workflows.CheckSearchAttributes(ctx, s.Temporal, s.namespace())
	if ctx.Err() == nil { // a check cut short says nothing of the namespace
		s.nsCheck.at, s.nsCheck.err = time.Now(), err
	}
	return err
}

// forgetNamespaceCheck makes the next check ask Temporal again.
func (s *Server) forgetNamespaceCheck() {
	s.nsCheck.mu.Lock()
	s.nsCheck.at = time.Time{}
	s.nsCheck.mu.Unlock()
}

// noSearchAttributes is the 503 of a filing the namespace cannot run.
func (s *Server) noSearchAttributes() error {
	ns := s.namespace()
	return whistle.Errorf(whistle.EUnavailable,
		"暂时无法立案：Temporal 命名空间 %s 缺少哨报的搜索属性（启动 shaobao serve 时会注册），请联系运维人员",
		"cannot file cases now: the Temporal namespace %s lacks Shaobao's search attributes (shaobao serve registers them at start); tell the operator", ns)
}

// isSearchAttributeRefusal reports whether Temporal refused a start for
// search attributes the namespace does not have.
func isSearchAttributeRefusal(err error) bool {
	var invalid *serviceerror.InvalidArgument
	if !errors.As(err, &invalid) {
		return false
	}
	return strings.Contains(strings.ToLower(invalid.Error()), "search attribute")
}
