#!/usr/bin/env python3
"""Independent reference computation for the analytics series tests.

Run from this directory:  python3 reference.py > expected.json

It (1) writes a small seeded portfolio history, trades.csv and prices.csv,
and (2) computes from those files, with plain Python floats and none of the
Go code's structure, the daily portfolio value, the time-weighted daily
returns, the money-weighted return (XIRR by bisection), and the risk
figures with quantstats conventions (252 periods, sample std, downside
deviation over all days, linear-interpolated historical VaR, beta from
sample covariance), plus the Ledoit-Wolf shrinkage of the symbols' returns
following the formulas of Ledoit & Wolf (2004) as scikit-learn states them.
No numpy: only the standard library.
"""
import csv, datetime as dt, json, math, random

random.seed(20240601)
SYMS = ["AAA", "BBB", "CCC"]
start = dt.date(2020, 1, 1)
days = []
d = start
while len(days) < 320:
    if d.weekday() < 5:
        days.append(d)
    d += dt.timedelta(days=1)

# Prices: geometric random walks, 6 decimal places (the store's scale).
prices = {}
for i, s in enumerate(SYMS):
    p = 50.0 + 25 * i
    series = []
    for day in days:
        p *= math.exp(random.gauss(0.0003, 0.012 + 0.004 * i))
        series.append(round(p, 6))
    prices[s] = series
bench = []
p = 1000.0
for k in range(len(days)):
    r = sum(math.log(prices[s][k] / (prices[s][k - 1] if k else prices[s][0])) for s in SYMS) / 3
    p *= math.exp(r * 0.8 + random.gauss(0, 0.003))
    bench.append(round(p, 6))
prices["BENCH"] = bench

# Trades: deposits, buys, a dividend, a fee, a full sale of BBB, a withdrawal.
trades = [
    ("t01", days[0], "DEPOSIT", "", 0, 0, 0, 100000),
    ("t02", days[0], "BUY", "AAA", 400, None, 1, 0),
    ("t03", days[0], "BUY", "BBB", 300, None, 1, 0),
    ("t04", days[20], "BUY", "CCC", 200, None, 1, 0),
    ("t05", days[60], "DIVIDEND", "AAA", 0, 0, 0, 120.5),
    ("t06", days[90], "DEPOSIT", "", 0, 0, 0, 25000),
    ("t07", days[91], "BUY", "AAA", 150, None, 1, 0),
    ("t08", days[150], "SELL", "BBB", 300, None, 1, 0),   # sold to zero
    ("t09", days[200], "FEE", "", 0, 0, 0, 15),
    ("t10", days[250], "WITHDRAWAL", "", 0, 0, 0, 30000),
    ("t11", days[260], "BUY", "BBB", 100, None, 1, 0),    # bought again
]
idx = {day: k for k, day in enumerate(days)}
rows = []
for tid, day, act, sym, q, px, fee, amt in trades:
    if px is None:
        px = prices[sym][idx[day]]
    rows.append((tid, day, act, sym, q, px, fee, amt))

with open("trades.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "date", "action", "symbol", "quantity", "price", "fees", "amount"])
    for tid, day, act, sym, q, px, fee, amt in rows:
        w.writerow([tid, day.isoformat(), act, sym, q or "", px or "", fee or "", amt or ""])
with open("prices.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["date"] + SYMS + ["BENCH"])
    for k, day in enumerate(days):
        w.writerow([day.isoformat()] + ["%.6f" % prices[s][k] for s in SYMS + ["BENCH"]])

# ---- reference computation from the files ----
trades = list(csv.DictReader(open("trades.csv")))
px = {}
dates = []
for r in csv.DictReader(open("prices.csv")):
    dates.append(r["date"])
    for s in SYMS + ["BENCH"]:
        px.setdefault(s, []).append(float(r[s]))

cash = 0.0
qty = {s: 0.0 for s in SYMS}
values, inflow, outflow = [], [], []
ti = 0
for k, day in enumerate(dates):
    fin = fout = 0.0
    while ti < len(trades) and trades[ti]["date"] <= day:
        t = trades[ti]; ti += 1
        a = t["action"]
        q = float(t["quantity"] or 0); p = float(t["price"] or 0)
        fee = float(t["fees"] or 0); amt = float(t["amount"] or 0)
        if a == "DEPOSIT": cash += amt; fin += amt
        elif a == "WITHDRAWAL": cash -= amt; fout += amt
        elif a == "FEE": cash -= amt
        elif a == "DIVIDEND": cash += amt
        elif a == "BUY": cash -= round(q * p + fee, 6); qty[t["symbol"]] += q
        elif a == "SELL": cash += round(q * p - fee, 6); qty[t["symbol"]] -= q
    v = cash + sum(round(qty[s] * px[s][k], 6) for s in SYMS)
    values.append(v); inflow.append(fin); outflow.append(fout)

# TWR with inflows at the start of the day and outflows at its end.
rets, rdates = [], []
prev = 0.0
for k in range(len(dates)):
    den = prev + inflow[k]
    if den > 0:
        rets.append((values[k] + outflow[k]) / den - 1); rdates.append(dates[k])
    prev = values[k]
twr = 1.0
for r in rets: twr *= 1 + r
twr -= 1

def d(s): return dt.date.fromisoformat(s)
flows = [(d(dates[k]), outflow[k] - inflow[k]) for k in range(len(dates)) if inflow[k] or outflow[k]]
flows.append((d(dates[-1]), values[-1]))
def npv(x):
    return sum(a * (1 + x) ** (-(day - flows[0][0]).days / 365.0) for day, a in flows)
lo, hi = -0.99, 10.0
for _ in range(200):
    mid = (lo + hi) / 2
    if (npv(mid) > 0) == (npv(lo) > 0): lo = mid
    else: hi = mid
xirr = (lo + hi) / 2

n = len(rets)
mean = sum(rets) / n
std = math.sqrt(sum((r - mean) ** 2 for r in rets) / (n - 1))
rf = 0.03
rfd = (1 + rf) ** (1 / 252) - 1
ex = [r - rfd for r in rets]
mex = sum(ex) / n
sex = math.sqrt(sum((x - mex) ** 2 for x in ex) / (n - 1))
sharpe = mex / sex * math.sqrt(252)
dd = math.sqrt(sum(min(x, 0) ** 2 for x in ex) / n)
sortino = mex / dd * math.sqrt(252)
w, peak, mdd, pk, tr = 1.0, 1.0, 0.0, dates[0], None
peak_date = dates[0]
for r, day in zip(rets, rdates):
    w *= 1 + r
    if w >= peak: peak, peak_date = w, day
    elif w / peak - 1 < mdd: mdd, pk, tr = w / peak - 1, peak_date, day
srt = sorted(rets)
h = (n - 1) * 0.05
var = srt[int(h)] + (h - int(h)) * (srt[int(h) + 1] - srt[int(h)])
tail = [r for r in srt if r <= var]
cvar = sum(tail) / len(tail)
bret = {dates[k]: px["BENCH"][k] / px["BENCH"][k - 1] - 1 for k in range(1, len(dates))}
pairs = [(r, bret[day]) for r, day in zip(rets, rdates) if day in bret]
a = [x for x, _ in pairs]; b = [y for _, y in pairs]
ma, mb = sum(a) / len(a), sum(b) / len(b)
cov = sum((x - ma) * (y - mb) for x, y in pairs) / (len(a) - 1)
vb = sum((y - mb) ** 2 for y in b) / (len(b) - 1)
va = sum((x - ma) ** 2 for x in a) / (len(a) - 1)
beta = cov / vb
alpha = (ma - beta * mb) * 252

# Ledoit-Wolf on the three symbols' daily returns.
X = [[px[s][k] / px[s][k - 1] - 1 for s in SYMS] for k in range(1, len(dates))]
m = len(X); p = len(SYMS)
means = [sum(row[j] for row in X) / m for j in range(p)]
Xc = [[row[j] - means[j] for j in range(p)] for row in X]
S = [[sum(r[i] * r[j] for r in Xc) / m for j in range(p)] for i in range(p)]
mu = sum(S[i][i] for i in range(p)) / p
fro2 = sum(S[i][j] ** 2 for i in range(p) for j in range(p))
d2 = sum((S[i][j] - (mu if i == j else 0)) ** 2 for i in range(p) for j in range(p)) / p
b2 = sum(sum((r[i] * r[j] - S[i][j]) ** 2 for i in range(p) for j in range(p)) for r in Xc) / (p * m * m)
b2 = min(b2, d2)
shrink = b2 / d2
shrunk = [[(1 - shrink) * S[i][j] + (shrink * mu if i == j else 0) for j in range(p)] for i in range(p)]

json.dump({
    "days": len(dates), "first_value": values[0], "last_value": values[-1],
    "value_at": {dates[k]: round(values[k], 6) for k in (0, 20, 60, 90, 150, 151, 250, 260, len(dates) - 1)},
    "observations": n, "twr": twr, "xirr": xirr,
    "rf": rf, "volatility": std * math.sqrt(252), "sharpe": sharpe, "sortino": sortino,
    "max_drawdown": mdd, "drawdown_peak": pk, "drawdown_trough": tr,
    "var95": var, "cvar95": cvar, "beta": beta, "alpha": alpha, "correlation": cov / math.sqrt(va * vb),
    "ledoit_wolf_shrinkage": shrink, "ledoit_wolf": shrunk,
}, __import__("sys").stdout, indent=1, sort_keys=True)
print()
