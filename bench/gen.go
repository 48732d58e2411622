// Package bench holds the whole-program benchmarks that carry the
// performance targets, and the generators of their synthetic inputs.
package bench

import (
	"fmt"
	"io"
	"strings"
)

// WriteTrades writes n canonical-CSV trades over two accounts ("taxable",
// "ira") and 250 symbols: a deposit per account, then buys with a sale of
// part of an earlier buy every fifth row, so every sale books.
func WriteTrades(w io.Writer, n int) error {
	var b strings.Builder
	b.WriteString("id,date,account,action,symbol,quantity,price,fees,amount,currency,lots,note\n")
	b.WriteString(",2010-01-04,taxable,DEPOSIT,,,,,100000000,USD,,\n")
	b.WriteString(",2010-01-04,ira,DEPOSIT,,,,,100000000,USD,,\n")
	held := map[string]int{}
	for i := 2; i < n; i++ {
		acct := [2]string{"taxable", "ira"}[i%2]
		sym := fmt.Sprintf("S%03d", (i/2)%250)
		day := 5 + i/40 // about 40 trades a day
		date := fmt.Sprintf("%04d-%02d-%02d", 2010+day/336, 1+(day%336)/28, 1+day%28)
		k := acct + sym
		if i%5 == 0 && held[k] >= 3 {
			held[k] -= 3
			fmt.Fprintf(&b, ",%s,%s,SELL,%s,3,%d.25,1,,USD,,\n", date, acct, sym, 50+i%90)
			continue
		}
		held[k] += 10
		fmt.Fprintf(&b, ",%s,%s,BUY,%s,10,%d.50,1,,USD,,\n", date, acct, sym, 40+i%100)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteLots writes n BUY rows (n open lots) over 100 symbols in one account,
// and returns a matching prices file body.
func WriteLots(trades io.Writer, n int) (prices string, err error) {
	var b strings.Builder
	b.WriteString("id,date,account,action,symbol,quantity,price,fees,amount,currency,lots,note\n")
	for i := 0; i < n; i++ {
		day := i / 20
		date := fmt.Sprintf("%04d-%02d-%02d", 2015+day/336, 1+(day%336)/28, 1+day%28)
		fmt.Fprintf(&b, ",%s,taxable,BUY,L%03d,%d.125,%d.37,0.35,,USD,,\n", date, i%100, 1+i%40, 20+i%300)
	}
	if _, err := io.WriteString(trades, b.String()); err != nil {
		return "", err
	}
	var p strings.Builder
	p.WriteString("date,symbol,close\n")
	for s := 0; s < 100; s++ {
		for d := 1; d <= 20; d++ {
			fmt.Fprintf(&p, "2025-01-%02d,L%03d,%d.%02d\n", d, s, 30+s, d)
		}
	}
	return p.String(), nil
}
