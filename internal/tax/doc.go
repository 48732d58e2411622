// Package tax is the US tax rules the product applies to lots: realized
// gains in Form 8949 terms, wash sales across every account of a household
// (IRC §1091), capital-loss netting and carryover, and harvest candidates.
// It is pure: no I/O, no clock; dates are civil dates and money is decimal.
package tax
