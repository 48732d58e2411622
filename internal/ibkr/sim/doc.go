// Package sim is a simulated IB Gateway: a TCP server that speaks the TWS
// API socket protocol at server version 178 for the messages in package
// wire, backed by daily price data, with accounts, orders that fill,
// executions, commissions and switchable faults. `wealthalloc gateway sim`
// serves it; the client's tests run against it over loopback.
//
// Every message the server reads is decoded, and every message it sends is
// encoded, by the layouts in package wire, so client and simulator share
// one table and cannot drift.
//
// # Connection
//
// A client sends "API\0" and "v<min>..<max>"; the server answers with
// Config.ServerVersion and the connection time ("yyyymmdd hh:mm:ss UTC",
// simulated market time).
// If the range does not hold that version the answer is sent anyway and
// the connection closed, as an older Gateway does. The first message must
// be startApi (71); anything else gets error 320 and a close. A client id
// already connected (or named by the client-id-in-use fault) gets 326 with
// id -1 and a close. Otherwise the bootstrap is managedAccounts (15),
// nextValidId (9), then notices 2104, 2106 and 2158 with id -1.
//
// # Strictness
//
// Every later message is decoded by its v178 layout. A wrong field count,
// a field of the wrong kind or an unknown message id gets error 320 "Error
// reading request. Message id <id>. <detail>", with the request's reqId or
// orderId when it can be read (else -1), and the connection stays open.
// 320 is used for unknown ids too: 503 ("The TWS is out of date") is a
// code the official client raises itself, not one a Gateway sends.
//
// # Clock and prices
//
// The simulated day is AsOf: for each symbol the latest bar on or before
// it is "today". Market time starts at 09:30 US/Eastern on AsOf when New
// is called and advances with Config.Now (wall time, times Config.Speed),
// held at 16:00 once reached; a fake Now makes runs reproducible. Each
// day's intraday path is 391 one-minute points from the open to the close
// that touch the bar's high and low exactly, derived from the seed, symbol
// and date alone: the same data and seed always give the same ticks, bars
// and fills. Minute volumes split the daily volume exactly.
//
// Every price shown lies on the 0.01 tick the simulator advertises
// (minTick): input prices are rounded to it (those already on it are
// exact) before paths, quotes and bars are made of them.
//
// Market data: the last price is the path's point for the current minute,
// bid and ask a cent either side, close the previous day's close, and tick
// 45 (last timestamp) the market time. Market data types 3 and 4 (or the
// delayed fault) send tick types 66–76 and 88 fifteen minutes behind.
// Streaming subscriptions get the ticks that changed every
// Config.TickInterval. Historical daily bars are the input bars on the
// tick; intraday bars aggregate the path; the end "" is AsOf's close, so
// history shows all of today whatever the market clock says. The
// handshake's connection time is the market clock too.
//
// # Orders
//
// MKT orders fill whole at the current price at once. LMT orders that are
// marketable fill at the current price; otherwise they rest (Submitted)
// and fill at the limit when the path reaches it. STP and STP LMT wait in
// PreSubmitted until the path reaches the stop. DAY orders still working
// at 16:00 are cancelled; GTC orders stay. A fill sends openOrder and
// orderStatus Filled, execDetails (reqId -1) and commissionReport, in an
// order that varies with the seed as on a real Gateway, updates the
// account (cash, position, average cost including commission) and sends
// position updates to reqPositions subscribers. Placing a working order's
// id again modifies it; the id of a finished order gets 103. Accounts are
// cash accounts: a buy costing more than the cash is rejected.
//
// # Faults
//
// Faults are set in Config.Faults or at run time with SetFaults, written
// NAME[=ARG] (ParseFault):
//
//	disconnect-after=N    close a connection after sending it N messages (0: right after the handshake)
//	split-frames          write each frame in several small writes with 2 ms pauses
//	delay=DURATION        hold every message, the handshake answer included, this long
//	rate-limit            more than 50 messages in a second: error 100; the second violation also disconnects
//	pacing                historical requests breaking IB's limits get 162 (identical within 15 s,
//	                      more than 5 for one contract in 2 s, more than 60 bars-of-30-s-or-less
//	                      requests in 10 min)
//	connectivity=CODE     send 1100, 1101 or 1102 right after the bootstrap
//	unknown-symbol=SYM    SYM has no security definition (200)
//	delayed[=deny|ask]    live data not permitted: 10167 then delayed ticks; with deny, 354 and no ticks
//	                      (and 10168 for delayed types); with ask, 354 for live types while delayed
//	                      types (3, 4) are served
//	client-id-in-use=N    client id N is taken: 326 and close
//	exec-correction       every fill is corrected once: its execution is sent again with the execId's
//	                      last segment incremented (….01.01 → ….01.02) and its own commission report;
//	                      reqExecutions lists both revisions
//
// Broadcast sends any code to every client at any time; 1100 pauses
// streams, 1101 restores and drops every subscription (data lost), 1102
// restores them. DropConnections closes every socket and keeps listening.
//
// docs/gateway-simulator.md describes all of this for users, with the
// error codes.
package sim
