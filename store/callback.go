package store

import (
	"encoding/json"

	"github.com/shaobao/shaobao/whistle"
)

// The resident call-back (回访, issue 17) in the read model: three columns
// of cases (migration 202612031003_callback). callback_status is what the
// case list filters on (callback=pending) and what the supervision
// roll-up reads to count a case whose resident was not reached, or never
// called back, apart from the satisfaction rate (caseShares).

// callbackColumns fills the call-back columns of a case row.
func callbackColumns(row *CaseRow, c whistle.Case) {
	row.CallbackRequired, row.CallbackStatus, row.CallbacksJSON = c.CallbackRequired, c.Callback, ""
	if len(c.Callbacks) > 0 {
		b, _ := json.Marshal(c.InUTC().Callbacks)
		row.CallbacksJSON = string(b)
	}
}

// callbackFromRow reads them back into c.
func callbackFromRow(c *whistle.Case, r CaseRow) {
	c.CallbackRequired, c.Callback = r.CallbackRequired, r.CallbackStatus
	if r.CallbacksJSON != "" {
		_ = json.Unmarshal([]byte(r.CallbacksJSON), &c.Callbacks)
	}
}

// callbackApart reports whether a case's evaluations count apart from the
// satisfaction rate and the scores: its resident was not reached, or never
// called back before the evaluation window closed.
func callbackApart(status string) bool {
	return status == whistle.CallbackUnreached || status == whistle.CallbackExpired
}
