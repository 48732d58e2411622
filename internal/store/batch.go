package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Bound parameters per statement: SQLite's SQLITE_MAX_VARIABLE_NUMBER is
// 32766, PostgreSQL's wire protocol allows 65535.
const (
	maxParamsSQLite   = 32766
	maxParamsPostgres = 65535
	maxBatchRows      = 500
)

// batch is a multi-row INSERT: head ("INSERT INTO t (u, a, b) VALUES "),
// a row template in which $1..$k stand for the k values shared by every row
// and "?" for each of the row's own values, and an optional tail
// (" ON CONFLICT ..."). The row must name every shared value before its
// first "?": "($1,$2,?,?)".
//
// The one template renders per dialect: PostgreSQL gets $n throughout;
// SQLite gets ?k for the shared values and anonymous "?" for the rest.
// SQLite keeps named and numbered parameters in a list it searches
// linearly, when parsing and again when the driver asks each parameter's
// name while binding, so a statement with thousands of "$n" would take
// quadratic time; anonymous parameters never enter that list. Because the
// shared ?k come first, the anonymous ones are numbered after them, and the
// argument list is the same on both engines: shared values, then each
// row's.
type batch struct {
	head, row, tail string
	shared          int // $1..$shared are the same for every row
	perRow          int // number of "?" in row: the values appendRow gives
}

func newBatch(head, row, tail string, shared int) batch {
	b := batch{head: head, row: row, tail: tail, shared: shared, perRow: strings.Count(row, "?")}
	seen := map[int]bool{}
	for j := 0; j < len(row); j++ {
		switch row[j] {
		case '?':
			if len(seen) != shared {
				panic(fmt.Sprintf("batch row %q: a \"?\" before all of $1..$%d", row, shared))
			}
		case '$':
			e := j + 1
			for e < len(row) && row[e] >= '0' && row[e] <= '9' {
				e++
			}
			k, err := strconv.Atoi(row[j+1 : e])
			if err != nil || k < 1 || k > shared {
				panic(fmt.Sprintf("batch row %q: bad shared parameter %q", row, row[j:e]))
			}
			seen[k] = true
		}
	}
	return b
}

// rowsPerStmt is how many rows one statement carries on dialect d.
func (b batch) rowsPerStmt(d Dialect) int {
	limit := maxParamsPostgres
	if d == SQLite {
		limit = maxParamsSQLite
	}
	return max(1, min(maxBatchRows, (limit-b.shared)/max(1, b.perRow)))
}

// sql renders the statement for n rows on dialect d.
func (b batch) sql(d Dialect, n int) string {
	var sb strings.Builder
	sb.Grow(len(b.head) + len(b.tail) + n*(len(b.row)+4*b.perRow+2))
	sb.WriteString(b.head)
	k := b.shared
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		for j := 0; j < len(b.row); j++ {
			switch c := b.row[j]; {
			case c == '?' && d == SQLite:
				sb.WriteByte('?')
			case c == '?':
				k++
				sb.WriteString("$" + strconv.Itoa(k))
			case c == '$' && d == SQLite:
				sb.WriteByte('?')
			default:
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteString(b.tail)
	return sb.String()
}

// exec inserts n rows. shared are the values of $1..$shared; appendRow
// appends row i's b.perRow values to args. Full statements reuse one
// prepared statement; the remainder gets its own. It returns the rows
// affected.
func (b batch) exec(ctx context.Context, q *Queries, n int, shared []any,
	appendRow func(args []any, i int) ([]any, error),
) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	if len(shared) != b.shared {
		return 0, fmt.Errorf("batch: %d shared values, want %d", len(shared), b.shared)
	}
	per := b.rowsPerStmt(q.dialect)
	args := make([]any, 0, b.shared+per*b.perRow)
	var (
		total int64
		full  *sql.Stmt
	)
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args = append(args[:0], shared...)
		for i := start; i < end; i++ {
			var err error
			if args, err = appendRow(args, i); err != nil {
				return total, err
			}
		}
		if len(args) != b.shared+(end-start)*b.perRow {
			return total, fmt.Errorf("batch: rows gave %d values, want %d", len(args)-b.shared, (end-start)*b.perRow)
		}
		var (
			res sql.Result
			err error
		)
		if end-start == per {
			if full == nil {
				if full, err = q.db.PrepareContext(ctx, b.sql(q.dialect, per)); err != nil {
					return total, err
				}
			}
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = q.db.ExecContext(ctx, b.sql(q.dialect, end-start), args...)
		}
		if err != nil {
			return total, err
		}
		if k, err := res.RowsAffected(); err == nil {
			total += k
		}
	}
	return total, nil
}

// param is the placeholder of the k-th parameter of a generated statement.
// Both engines take $k; SQLite gets ?k, which it resolves as a number rather
// than by a name lookup.
func param(d Dialect, k int) string {
	if d == SQLite {
		return "?" + strconv.Itoa(k)
	}
	return "$" + strconv.Itoa(k)
}
