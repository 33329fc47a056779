package workflows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/shaobao/shaobao/whistle"
)

// ErrSearchAttributesMissing is wrapped by the errors of a namespace that
// lacks some of SearchAttributes. A case started there fails every
// workflow task at its first upsert, forever.
var ErrSearchAttributesMissing = errors.New("the namespace lacks Shaobao's search attributes")

// CheckSearchAttributes returns nil when namespace has every attribute of
// SearchAttributes with its type; otherwise an error naming what is wrong
// (wrapping ErrSearchAttributesMissing when attributes are missing).
func CheckSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	missing, err := missingSearchAttributes(ctx, c, namespace)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("namespace %q: %w: %s", namespace, ErrSearchAttributesMissing, strings.Join(slices.Sorted(maps.Keys(missing)), ", "))
	}
	return nil
}

// EnsureSearchAttributes registers on namespace, through the operator
// service, every attribute of SearchAttributes it lacks, and waits until
// the namespace lists them. It returns the names it added. When they
// cannot be added (the caller may not, or the namespace is full) the error
// says what to register by hand, so the process refuses to start rather
// than start cases that can never run.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	missing, err := missingSearchAttributes(ctx, c, namespace)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(missing))
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	if err != nil {
		var cmds []string
		for _, name := range names {
			cmds = append(cmds, fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type %s", namespace, name, typeName(missing[name])))
		}
		return nil, fmt.Errorf("namespace %q: %w (%s) and they could not be added: %w; register them with:\n  %s",
			namespace, ErrSearchAttributesMissing, strings.Join(names, ", "), err, strings.Join(cmds, "\n  "))
	}
	// The frontend lists new attributes once its cache refreshes.
	for {
		err := CheckSearchAttributes(ctx, c, namespace)
		if err == nil {
			return names, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("added search attributes %s, but the namespace does not list them yet: %w", strings.Join(names, ", "), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// StartSearchAttributes are the search attributes a case starts with,
// as its first upsert will set them (the next deadline is not known yet).
// Given at start, they make a namespace that lacks them refuse the start
// itself, before any workflow task projects the case into the read model.
func StartSearchAttributes(in WhistleInput) temporal.SearchAttributes {
	u := []temporal.SearchAttributeUpdate{AttrClass.ValueSet(string(in.Class)), AttrStatus.ValueSet(string(whistle.CaseOpen)), AttrOverdue.ValueSet(false)}
	if len(in.Chain) > 0 {
		u = append(u, AttrLevel.ValueSet(string(in.Chain[0].Level)), AttrOrgPath.ValueSet(in.Chain[0].Path))
	}
	var pending []string
	for _, d := range in.Departments {
		if !slices.Contains(pending, d.ID) {
			pending = append(pending, d.ID)
		}
	}
	if len(pending) > 0 {
		u = append(u, AttrPendingDept.ValueSet(pending))
	}
	return temporal.NewSearchAttributes(u...)
}

// ErrSearchAttributeType is wrapped by the error of a namespace that has
// an attribute registered with another type than wanted: no registration
// can fix it.
var ErrSearchAttributeType = errors.New("search attribute registered with another type")

// missingSearchAttributes lists the attributes of SearchAttributes that
// namespace lacks.
func missingSearchAttributes(ctx context.Context, c client.Client, namespace string) (map[string]enumspb.IndexedValueType, error) {
	return MissingSearchAttributes(ctx, c, namespace, SearchAttributes)
}

// MissingSearchAttributes lists, through the operator service, the
// attributes of want that namespace lacks; one registered with another
// type is an error wrapping ErrSearchAttributeType. The embedded dev
// server registers its attributes through it too.
func MissingSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) (map[string]enumspb.IndexedValueType, error) {
	listed, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list the search attributes of namespace %q: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		have, ok := listed.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case have != typ:
			return nil, fmt.Errorf("namespace %q: %w: %s is registered as %s, Shaobao needs %s", namespace, ErrSearchAttributeType, name, typeName(have), typeName(typ))
		}
	}
	return missing, nil
}

// typeName is the CLI's name of an attribute type ("Keyword",
// "KeywordList"): the enum's String.
func typeName(t enumspb.IndexedValueType) string { return t.String() }
