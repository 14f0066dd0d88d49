package spatial

import "citygrid/data/topology"

// orient is the exact orientation predicate, topology.Orient: +1 when c is
// left of the directed line a→b, -1 right, 0 on it.
func orient(ax, ay, bx, by, cx, cy float64) int { return topology.Orient(ax, ay, bx, by, cx, cy) }
