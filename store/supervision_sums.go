package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/shaobao/shaobao/whistle"
)

// Reading the roll-up's sums by group. A city-wide view by department is
// 5,017 rows of 28 counters; at 20M cases the database sums them in
// 20–40 ms, and what the client does with them must stay well below that.

type keyedCounts struct {
	Key  string
	Name string
	Kind string // the group's org level
	Counts
}

// rollupSource says where counts come from: the live roll-up over period
// (day by day with daysOnly), or the published months (YYYYMM).
type rollupSource struct {
	period   Period
	months   []int
	daysOnly bool
}

// groupCounts sums the counts by group key over the source and scope, with
// each group's name, in key order.
func (s *Store) groupCounts(ctx context.Context, src rollupSource, sc RollupScope, group string) ([]keyedCounts, error) {
	var out blockList[keyedCounts]
	err := s.sumGroups(ctx, src, sc, []string{group}, func(_ int, k *keyedCounts) { *out.next() = *k })
	if err != nil {
		return nil, err
	}
	return out.slice(), nil
}

// sumSQL is one sum by group, ready to run.
type sumSQL struct {
	group string
	depts bool
	query string
	args  []any
}

// sumArgs collects a query's arguments and writes their placeholders: $n
// for pgx itself, ? for gorm.
type sumArgs struct {
	dollar bool
	vals   []any
}

func (a *sumArgs) add(v any) string {
	a.vals = append(a.vals, v)
	if a.dollar {
		return "$" + strconv.Itoa(len(a.vals))
	}
	return "?"
}

// sumQuery writes the sum by group of the source over the scope. packed
// reads the counters back as one text "n,n,…" (see readSumsSQL); else they
// are 28 BIGINT columns.
func sumQuery(src rollupSource, sc RollupScope, group string, dollar, packed bool) (sumSQL, error) {
	var key, join, nameCols string
	depts := false
	switch group {
	case GroupDepartment:
		key, depts = "department_id", true
		join, nameCols = "LEFT JOIN departments n ON n.id = a.key", "COALESCE(n.name, ''), COALESCE(n.org_path, '')"
	case GroupStreet, GroupDistrict:
		key = "area_id"
		if group == GroupDistrict {
			key = "district_id"
		}
		join, nameCols = "LEFT JOIN org_units n ON n.id = a.key", "COALESCE(n.name, ''), COALESCE(n.kind, '')"
	case "":
		key, nameCols = "''", "'', ''"
	default:
		return sumSQL{}, whistle.Errorf(whistle.EInvalid, "分组 group 无效：%q（可选 department、street、district）", "invalid group %q (one of department, street, district)", group)
	}
	args := &sumArgs{dollar: dollar}
	var where []string
	table := "supervision_rollup"
	if len(src.months) > 0 {
		table = "supervision_published"
		in := make([]string, len(src.months))
		for i, m := range src.months {
			in[i] = args.add(m)
		}
		where = append(where, "month IN ("+strings.Join(in, ", ")+")")
	} else {
		// Departments over a city or a district: the per-district buckets.
		district := depts && sc.AreaID == ""
		var parts []string
		// Weeks are kept for areas and, per district, for departments.
		conds := bucketConds(src.period, !depts || district)
		if src.daysOnly {
			conds = []bucketCond{{BucketDay, DayOf(src.period.From), DayOf(src.period.To)}}
		}
		for _, c := range conds {
			kind := c.kind
			if district {
				kind = strings.ToUpper(kind)
			}
			parts = append(parts, "(kind = "+args.add(kind)+" AND start >= "+args.add(c.lo)+" AND start < "+args.add(c.hi)+")")
		}
		where = append(where, "("+strings.Join(parts, " OR ")+")")
	}
	if depts {
		where = append(where, "department_id <> ''")
	} else {
		where = append(where, "department_id = ''")
	}
	if sc.AreaID != "" {
		where = append(where, "area_id = "+args.add(sc.AreaID))
	}
	if sc.DistrictID != "" {
		where = append(where, "district_id = "+args.add(sc.DistrictID))
	}
	var sums strings.Builder
	counters := make([]string, len(counterColumns))
	for i, c := range counterColumns {
		sums.WriteString(", CAST(SUM(" + c + ") AS BIGINT) AS " + c)
		counters[i] = "a." + c
		if packed {
			counters[i] = "COALESCE(a." + c + ", 0)"
		}
	}
	inner := "SELECT " + key + " AS key" + sums.String() + " FROM " + table + " WHERE " + strings.Join(where, " AND ")
	if group != "" {
		inner += " GROUP BY " + key
	}
	sep := ", "
	if packed {
		sep = " || ',' || "
	}
	q := "SELECT a.key, " + nameCols + ", " + strings.Join(counters, sep) + " FROM (" + inner + ") a " + join + " ORDER BY a.key"
	return sumSQL{group: group, depts: depts, query: q, args: args.vals}, nil
}

// sumGroups sums the counts over the source and scope once per group of
// groups ("" for the scope as a whole) and calls each with the group's
// index and every group's sums, in key order. k is reused between calls.
// The scope as a whole comes only when it counted something.
func (s *Store) sumGroups(ctx context.Context, src rollupSource, sc RollupScope, groups []string, each func(i int, k *keyedCounts)) error {
	pool, native := s.DB.Statement.ConnPool.(*textSafePool)
	native = native && s.dialect == "postgres"
	qs := make([]sumSQL, len(groups))
	names := make([]string, len(groups))
	for i, g := range groups {
		var err error
		if qs[i], err = sumQuery(src, sc, g, native, !native); err != nil {
			return err
		}
		names[i] = cmp.Or(g, "scope")
	}
	visit := func(i int, k *keyedCounts) {
		if qs[i].group == "" && k.Counts.zero() {
			return
		}
		each(i, k)
	}
	var err error
	if native {
		err = readSumsPgx(ctx, pool.db, qs, visit)
	} else {
		err = s.readSumsSQL(ctx, qs, visit)
	}
	if err != nil {
		return fmt.Errorf("sum supervision roll-up by %s: %w", strings.Join(names, " and "), err)
	}
	return nil
}

// readSumsPgx runs the sums on one pooled connection through pgx itself,
// all in one round trip (a batch: BEGIN, the work_mem, the sums, COMMIT),
// and decodes the counters from PostgreSQL's binary BIGINTs. Through
// database/sql each of the 140,000 cells of a city's departments went
// through reflection, and the text packing that avoided it had the server
// format them all (a quarter of the query's time) for the client to parse.
func readSumsPgx(ctx context.Context, db *sql.DB, qs []sumSQL, visit func(int, *keyedCounts)) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a PostgreSQL connection of type %T, not pgx", dc)
		}
		pc := c.Conn()
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		// Summing 5,000 departments over many buckets hashes them in
		// memory with room to; the default 4 MB sorts instead (4× slower).
		b.Queue("SET LOCAL work_mem = '64MB'")
		// No JIT: a 56-day read over the city's departments costs just over
		// jit_above_cost, and compiling took 18 ms of its 57 at 20M cases
		// (EXPLAIN ANALYZE) for a plan that runs in milliseconds.
		b.Queue("SET LOCAL jit = off")
		for _, q := range qs {
			b.Queue(q.query, safeArgs(q.args)...)
		}
		b.Queue("COMMIT")
		br := pc.SendBatch(ctx, b)
		err := readBatchSums(br, qs, visit)
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		// A failed statement leaves its transaction open (aborted): end it
		// here, or the pool would drop the connection.
		if pc.PgConn().TxStatus() != 'I' {
			if _, rerr := pc.Exec(ctx, "ROLLBACK"); rerr != nil && err == nil {
				err = rerr
			}
		}
		return err
	})
}

func readBatchSums(br pgx.BatchResults, qs []sumSQL, visit func(int, *keyedCounts)) error {
	for range 3 { // BEGIN and the two SET LOCALs
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	levels := map[string]string{}
	var k keyedCounts
	counters := k.Counts.fields()
	for i, q := range qs {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		fields := rows.FieldDescriptions()
		if want := 3 + len(counterColumns); len(fields) != want {
			rows.Close()
			return fmt.Errorf("read supervision roll-up: %d columns, want %d", len(fields), want)
		}
		for rows.Next() {
			vals := rows.RawValues()
			k.Key, k.Name = string(vals[0]), string(vals[1])
			if q.depts {
				// Departments sit on a few hundred units: their level is
				// worked out once per unit path.
				lv, ok := levels[string(vals[2])]
				if !ok {
					lv = string(whistle.OrgPath(vals[2]).Level())
					levels[string(vals[2])] = lv
				}
				k.Kind = lv
			} else {
				k.Kind = string(vals[2])
			}
			for j, c := range counters {
				if *c, err = bigint(fields[3+j], vals[3+j]); err != nil {
					rows.Close()
					return fmt.Errorf("read supervision roll-up: counter %s: %w", counterColumns[j], err)
				}
			}
			visit(i, &k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	_, err := br.Exec() // COMMIT
	return err
}

// bigint decodes a BIGINT cell; NULL (a sum over no rows) is 0.
func bigint(fd pgconn.FieldDescription, v []byte) (int64, error) {
	switch {
	case v == nil:
		return 0, nil
	case fd.Format == pgx.BinaryFormatCode && len(v) == 8:
		return int64(binary.BigEndian.Uint64(v)), nil
	case fd.Format == pgx.TextFormatCode:
		return strconv.ParseInt(string(v), 10, 64)
	}
	return 0, fmt.Errorf("a %d-byte value in format %d, want a BIGINT", len(v), fd.Format)
}

// readSumsSQL runs the sums through database/sql (SQLite, or a store
// bound to a transaction). The 28 sums come back as one text "n,n,…":
// database/sql converts each cell through reflection (about 10 µs a row
// of 22 cells), while one string per row scans directly and strconv reads
// it in microseconds.
func (s *Store) readSumsSQL(ctx context.Context, qs []sumSQL, visit func(int, *keyedCounts)) error {
	var k keyedCounts
	for i, q := range qs {
		rows, err := s.DB.WithContext(ctx).Raw(q.query, q.args...).Rows()
		if err != nil {
			return err
		}
		for rows.Next() {
			var key sql.NullString
			var packed string
			if err := rows.Scan(&key, &k.Name, &k.Kind, &packed); err != nil {
				rows.Close()
				return fmt.Errorf("read supervision roll-up: %w", err)
			}
			k.Key = key.String
			if err := k.Counts.unpack(packed); err != nil {
				rows.Close()
				return fmt.Errorf("read supervision roll-up: %w", err)
			}
			if q.depts {
				k.Kind = string(whistle.OrgPath(k.Kind).Level())
			}
			visit(i, &k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read supervision roll-up: %w", err)
		}
	}
	return nil
}

// unpack reads counters packed as "n,n,…" in counterColumns order.
func (c *Counts) unpack(s string) error {
	f := c.fields()
	for i := range f {
		part, rest, _ := strings.Cut(s, ",")
		v, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return fmt.Errorf("counter %s: %q: %w", counterColumns[i], part, err)
		}
		*f[i], s = v, rest
	}
	return nil
}

// blockList collects values of an unknown number in blocks, so that they
// are copied once, into a slice of the exact length: appending a city's
// 5,000 rows to one slice copied them about five times over as it grew
// (the profile's memmove).
type blockList[T any] struct {
	blocks [][]T
	n      int
}

func (b *blockList[T]) next() *T {
	if k := len(b.blocks); k == 0 || len(b.blocks[k-1]) == cap(b.blocks[k-1]) {
		b.blocks = append(b.blocks, make([]T, 0, 512))
	}
	last := &b.blocks[len(b.blocks)-1]
	var zero T
	*last = append(*last, zero)
	b.n++
	return &(*last)[len(*last)-1]
}

// slice returns the values in order, never nil.
func (b *blockList[T]) slice() []T {
	out := make([]T, 0, b.n)
	for _, bl := range b.blocks {
		out = append(out, bl...)
	}
	return out
}

// each calls fn with each value in order.
func (b *blockList[T]) each(fn func(*T)) {
	for _, bl := range b.blocks {
		for i := range bl {
			fn(&bl[i])
		}
	}
}
