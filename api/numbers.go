package api

import (
	"context"
	"fmt"
	"time"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// caseNumber returns the number of the case being filed as id: a new one
// from the day's counter (store.AllocateCaseNumber) or, for a retry with
// the same Idempotency-Key whose case is already in the read model, the
// number that case has, so a retry burns no number. The workflow started
// with the key keeps its own number whatever this returns (the start
// reuses the running workflow); a retry that comes before the first
// attempt's case is projected allocates one that stays unused, a gap,
// which case numbers allow (store/case_numbers.go).
func (s *Server) caseNumber(ctx context.Context, id, idemKey string, now time.Time) (string, error) {
	if idemKey != "" {
		kase, err := s.Store.CaseHeader(ctx, id)
		switch whistle.ErrorCode(err) {
		case "":
			return kase.Number, nil
		case whistle.ENotFound:
		default:
			return "", fmt.Errorf("case number of %s: %w", id, err)
		}
	}
	n, err := s.Store.AllocateCaseNumber(ctx, now)
	if err != nil {
		return "", fmt.Errorf("case %s: %w", id, err)
	}
	return n, nil
}

// caseByRef returns the id of the case ref names, its id or its number
// (YYYYMMDD-NNNNN, what an operator reads out over the phone), once u may
// read it. Outside u's jurisdiction the answer is the not_found of an
// unknown ref, naming ref, so it tells neither that the case exists nor
// its id.
//
// Only GET /cases/{id} takes a number: the actions keep to ids, so an
// Idempotency-Key (bound to the path) names one request however the case
// was looked up, and the pages act on the id they were given.
func (s *Server) caseByRef(ctx context.Context, u whistle.Actor, ref string) (string, error) {
	id := ref
	if store.IsCaseNumber(ref) {
		var err error
		if id, err = s.Store.CaseIDByNumber(ctx, ref); err != nil {
			return "", err
		}
	}
	if _, err := s.authorizedCase(ctx, u, id, policy.ReadCase); err != nil {
		if id != ref && whistle.ErrorCode(err) == whistle.ENotFound {
			return "", store.NotFound("case", ref)
		}
		return "", err
	}
	return id, nil
}
