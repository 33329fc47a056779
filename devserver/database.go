package devserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/serialization"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
	"go.temporal.io/server/common/searchattribute/sadefs"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// schemaTables are tables the SQLite schema creates, the visibility table
// last: if they are all there, the schema was set up completely.
var schemaTables = []string{"namespaces", "cluster_metadata_info", "executions", "executions_visibility"}

// prepareDatabase makes the SQLite file ready for the server, before the
// server starts: the schema on first start, then the namespace and every
// search attribute in attrs. Doing it all while no server runs means the
// server loads the final namespace config at start, with no cache to wait for.
//
// Note: the SQLite plugin shares one connection pool per DSN for the life of
// the process and never closes it, so cfg here must be the very config the
// server gets (the first user of a DSN sets the pool's MaxConns).
func prepareDatabase(ctx context.Context, cfg *config.SQL, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	if err := validateSearchAttributes(attrs); err != nil {
		return err
	}
	if err := setupSchemaIfNew(cfg); err != nil {
		return err
	}
	// The namespace is created with attrs when it is new; CreateNamespaces
	// leaves an existing one alone, and ensureSearchAttributes then adds what
	// it lacks.
	nsCfg, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, attrs)
	if err != nil {
		return fmt.Errorf("namespace %q: %w", namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(cfg, nsCfg); err != nil {
		return fmt.Errorf("create namespace %q: %w", namespace, err)
	}
	if err := ensureSearchAttributes(ctx, cfg, namespace, attrs); err != nil {
		return fmt.Errorf("namespace %q: %w", namespace, err)
	}
	return nil
}

func validateSearchAttributes(attrs map[string]enumspb.IndexedValueType) error {
	var errs []error
	for name, typ := range attrs {
		switch {
		case name == "":
			errs = append(errs, errors.New("search attribute with an empty name"))
		case sadefs.IsReserved(name):
			errs = append(errs, fmt.Errorf("search attribute %q: name is reserved by Temporal", name))
		case typ == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED || enumspb.IndexedValueType_name[int32(typ)] == "":
			errs = append(errs, fmt.Errorf("search attribute %q: invalid type %v", name, typ))
		}
	}
	return errors.Join(errs...)
}

// setupSchemaIfNew creates the schema in a database without tables. A
// database with only some of the tables (a first start that was cut short)
// is refused rather than guessed at.
func setupSchemaIfNew(cfg *config.SQL) error {
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("open %s: %w", cfg.DatabaseName, err)
	}
	defer func() { _ = db.Close() }()

	tables, err := db.ListTables(cfg.DatabaseName)
	if err != nil {
		return fmt.Errorf("read schema of %s: %w", cfg.DatabaseName, err)
	}
	if len(tables) == 0 {
		if err := sqliteschema.SetupSchemaOnDB(db); err != nil {
			return fmt.Errorf("set up schema in %s: %w", cfg.DatabaseName, err)
		}
		return nil
	}
	var missing []string
	for _, t := range schemaTables {
		if !slices.Contains(tables, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s has an incomplete Temporal schema (missing %s): an interrupted first start? Remove the file to start afresh",
			cfg.DatabaseName, strings.Join(missing, ", "))
	}
	return nil
}

// ensureSearchAttributes registers on the namespace every attribute of attrs
// that it lacks, each on the first free preallocated column of its type, as
// the operator service's AddSearchAttributes does for SQL visibility.
func ensureSearchAttributes(ctx context.Context, cfg *config.SQL, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	if len(attrs) == 0 {
		return nil
	}
	serializer := serialization.NewSerializer()
	factory := sql.NewFactory(*cfg, resolver.NewNoopResolver(), clusterName, log.NewNoopLogger(), metrics.NoopMetricsHandler, serializer)
	defer factory.Close()
	store, err := factory.NewMetadataStore()
	if err != nil {
		return fmt.Errorf("open namespace store: %w", err)
	}
	manager := persistence.NewMetadataManagerImpl(store, serializer, log.NewNoopLogger(), clusterName)

	// Read the notification version first: the update is conditional on it.
	metadata, err := manager.GetMetadata(ctx)
	if err != nil {
		return fmt.Errorf("read namespace metadata: %w", err)
	}
	current, err := manager.GetNamespace(ctx, &persistence.GetNamespaceRequest{Name: namespace})
	if err != nil {
		return fmt.Errorf("read namespace: %w", err)
	}
	nsConfig := current.Namespace.GetConfig()
	aliases, err := withSearchAttributes(nsConfig.GetCustomSearchAttributeAliases(), attrs)
	if err != nil {
		return err
	}
	if aliases == nil {
		return nil
	}
	nsConfig.CustomSearchAttributeAliases = aliases
	current.Namespace.ConfigVersion++
	err = manager.UpdateNamespace(ctx, &persistence.UpdateNamespaceRequest{
		Namespace:           current.Namespace,
		IsGlobalNamespace:   current.IsGlobalNamespace,
		NotificationVersion: metadata.NotificationVersion,
	})
	if err != nil {
		return fmt.Errorf("register search attributes: %w", err)
	}
	return nil
}

// withSearchAttributes returns the namespace's column→alias map with every
// attribute of attrs that is missing added, or nil when none is missing. An
// attribute registered on a column of another type is an error: its type
// cannot change in place.
func withSearchAttributes(aliases map[string]string, attrs map[string]enumspb.IndexedValueType) (map[string]string, error) {
	columns := sadefs.GetDBIndexSearchAttributes(nil).CustomSearchAttributes // column → type
	columnOf := make(map[string]string, len(aliases))                        // alias → column
	for column, alias := range aliases {
		columnOf[alias] = column
	}

	var added map[string]string
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		want := attrs[name]
		if column, ok := columnOf[name]; ok {
			if have := columns[column]; have != want {
				errs = append(errs, fmt.Errorf("search attribute %q is registered as %v, wanted %v", name, have, want))
			}
			continue
		}
		column := freeColumn(columns, aliases, added, want)
		if column == "" {
			errs = append(errs, fmt.Errorf("search attribute %q: no free %v column left (SQLite visibility has a fixed number per type)", name, want))
			continue
		}
		if added == nil {
			added = maps.Clone(aliases)
			if added == nil {
				added = map[string]string{}
			}
		}
		added[column] = name
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return added, nil
}

// freeColumn returns the first preallocated column of type typ that neither
// aliases nor added uses, or "".
func freeColumn(columns map[string]enumspb.IndexedValueType, aliases, added map[string]string, typ enumspb.IndexedValueType) string {
	for _, column := range slices.Sorted(maps.Keys(columns)) {
		if columns[column] != typ || !sadefs.IsPreallocatedCSAFieldName(column, typ) {
			continue
		}
		if _, used := aliases[column]; used {
			continue
		}
		if _, used := added[column]; used {
			continue
		}
		return column
	}
	return ""
}
