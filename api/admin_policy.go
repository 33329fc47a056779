package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// policyRulesView lists the stored rules with the vocabulary a new rule
// may use.
type policyRulesView struct {
	Items     []policy.Rule `json:"items"`
	Total     int64         `json:"total"`
	Page      int           `json:"page"`
	PageSize  int           `json:"page_size"`
	Roles     []string      `json:"roles"`
	Actions   []string      `json:"actions"`
	Relations []string      `json:"relations"`
}

func (s *Server) listPolicyRules(c *gin.Context) {
	rules, err := s.Policy.Rules(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	v := policyRulesView{Items: rules, Total: int64(len(rules)), Page: 1, PageSize: len(rules), Roles: roleNames(), Relations: policy.Relations()}
	if v.Items == nil {
		v.Items = []policy.Rule{}
	}
	for _, a := range policy.Actions {
		v.Actions = append(v.Actions, string(a))
	}
	c.JSON(http.StatusOK, v)
}

type policyRuleRequest struct {
	Role     string `json:"role" binding:"required,max=32"`
	Action   string `json:"action" binding:"required,max=64"`
	Relation string `json:"relation" binding:"required,max=64"`
	Name     string `json:"name" binding:"required,max=128"`
}

// addPolicyRule stores a rule and brings it into force on this instance
// at once, on the others within their policy watch interval.
func (s *Server) addPolicyRule(c *gin.Context) {
	applyBody(c, http.StatusCreated, func(ctx context.Context, req *policyRuleRequest) (policy.Rule, error) {
		r := policy.Rule{Role: whistle.Role(req.Role), Action: policy.Action(req.Action), Relation: req.Relation, Name: req.Name}
		if err := s.Policy.AddRule(ctx, r); err != nil {
			return policy.Rule{}, err
		}
		rules, err := s.Policy.Rules(ctx)
		if err != nil {
			return policy.Rule{}, err
		}
		for _, stored := range rules {
			if stored.Role == r.Role && stored.Action == r.Action && stored.Relation == r.Relation && stored.Name == r.Name {
				r = stored
			}
		}
		// The casbin adapter writes the rule on its own connection, so its
		// audit row follows it rather than sharing its transaction.
		id := strconv.FormatUint(uint64(r.ID), 10)
		after, err := s.Store.AuditSnapshot(ctx, "policy_rule", id)
		if err == nil {
			err = s.Store.RecordAdminChange(ctx, auditActor(c), store.Change{Action: store.ActionCreate, Kind: "policy_rule", ObjectID: id}, "", after)
		}
		if err != nil {
			return policy.Rule{}, err
		}
		logRule(c, "policy rule added", r)
		return r, nil
	})
}

func logRule(c *gin.Context, msg string, r policy.Rule) {
	logger(c).Info(msg, "rule_id", r.ID, "role", r.Role, "action", r.Action, "relation", r.Relation, "rule", r.Name)
}

// removePolicyRule deletes a rule by id; removing the last rule that lets
// admins administer is a conflict.
func (s *Server) removePolicyRule(c *gin.Context) {
	raw := c.Param("id")
	id, err := strconv.ParseUint(raw, 10, 32)
	if err != nil || id == 0 {
		fail(c, whistle.Errorf(whistle.EInvalid, "规则编号无效：%q（应为正整数）", "invalid rule id %q (want a positive integer)", raw))
		return
	}
	ctx := c.Request.Context()
	rules, err := s.Policy.Rules(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	for _, r := range rules {
		if r.ID != uint(id) {
			continue
		}
		before, err := s.Store.AuditSnapshot(ctx, "policy_rule", strconv.FormatUint(id, 10))
		if err != nil {
			fail(c, err)
			return
		}
		if err := s.Policy.RemoveRule(ctx, r); err != nil {
			fail(c, err)
			return
		}
		if err := s.Store.RecordAdminChange(ctx, auditActor(c), store.Change{Action: store.ActionDelete, Kind: "policy_rule", ObjectID: strconv.FormatUint(id, 10)}, before, ""); err != nil {
			fail(c, err)
			return
		}
		logRule(c, "policy rule removed", r)
		c.Status(http.StatusNoContent)
		return
	}
	fail(c, whistle.Errorf(whistle.ENotFound, "规则不存在：%d", "no rule %d", id))
}
