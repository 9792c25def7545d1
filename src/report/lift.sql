-- onsite lift report: per-arm aggregates of offer decisions and the orders that followed them.
--
-- Input: two relations of normalized events (src/report/load.ts builds them on DuckDB; the README's dialect
-- notes say how to build them on BigQuery or Snowflake):
--   events(message_id, type, event, anonymous_id, user_id, ts_ms, offer_id, variant, decision_id, holdout,
--          order_id, revenue, total, subtotal, discount)          -- one row per call; ts_ms = epoch ms
--   order_offers(order_key, offer_id, decision_id)                  -- Order Completed properties.onsite_offers[]
-- Parameter: $window_days, the attribution window (BigQuery: @window_days).
-- Output: one row per offer x variant x group; every held-out visitor of an offer is pooled into one
-- control row (variant NULL). The intervals are computed from these sums (src/report/stats.ts).
--
-- Plain SQL on purpose: CTEs, joins, GROUP BY, ROW_NUMBER with QUALIFY; no JSON, dates or arrays in here.
WITH calls AS (
  -- a call retried (same messageId) counts once
  SELECT * FROM events
  WHERE TRUE  -- BigQuery wants a WHERE, GROUP BY or HAVING beside QUALIFY
  QUALIFY ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY ts_ms) = 1
),
decisions AS (
  SELECT anonymous_id AS visitor, offer_id, variant, decision_id, ts_ms, event,
         CASE WHEN event = 'offer_held_out' OR holdout THEN 'held_out' ELSE 'exposed' END AS grp
  FROM calls
  WHERE event IN ('offer_seen', 'offer_held_out') AND offer_id IS NOT NULL AND anonymous_id IS NOT NULL
),
arms AS (
  -- a visitor's first decision of an offer puts them in its arm; later ones do not move them
  SELECT visitor, offer_id, variant, grp, ts_ms AS decided_ms
  FROM decisions
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY visitor, offer_id ORDER BY ts_ms, decision_id) = 1
),
seen AS (
  SELECT visitor, offer_id, COUNT(*) AS seen_events
  FROM decisions WHERE event = 'offer_seen'
  GROUP BY visitor, offer_id
),
links AS (
  -- identify (or any call carrying both ids) ties an anonymous id to a person
  SELECT DISTINCT anonymous_id, user_id FROM calls
  WHERE anonymous_id IS NOT NULL AND user_id IS NOT NULL
),
order_copies AS (
  SELECT COALESCE(order_id, message_id) AS order_key, message_id, anonymous_id, user_id, ts_ms,
         COALESCE(revenue, total, subtotal, 0) AS revenue, COALESCE(discount, 0) AS discount
  FROM calls WHERE event = 'Order Completed'
),
orders AS (
  -- an order sent twice (storefront and checkout pixel, new messageIds) counts once, at its first copy
  SELECT * FROM order_copies
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY order_key ORDER BY ts_ms, message_id) = 1
),
order_visitors AS (
  -- the visitors any copy of an order reaches by id: its anonymous id, and every anonymous id of its person
  SELECT order_key, anonymous_id AS visitor FROM order_copies WHERE anonymous_id IS NOT NULL
  UNION DISTINCT
  SELECT c.order_key, l.anonymous_id FROM order_copies c JOIN links l ON l.user_id = c.user_id
),
by_id AS (
  SELECT DISTINCT v.order_key, a.visitor, a.offer_id
  FROM order_visitors v JOIN arms a ON a.visitor = v.visitor
),
by_stamp AS (
  -- the order's own record of the decisions (onsite_offers), for an offer the id join found no visitor in
  SELECT DISTINCT s.order_key, d.visitor, d.offer_id
  FROM order_offers s
  JOIN decisions d ON d.decision_id = s.decision_id AND d.offer_id = s.offer_id
  LEFT JOIN by_id i ON i.order_key = s.order_key AND i.offer_id = s.offer_id
  WHERE i.order_key IS NULL
),
attributed AS (
  SELECT h.visitor, h.offer_id, o.order_key, o.revenue, o.discount
  FROM (SELECT * FROM by_id UNION ALL SELECT * FROM by_stamp) h
  JOIN arms a ON a.visitor = h.visitor AND a.offer_id = h.offer_id
  JOIN orders o ON o.order_key = h.order_key
  -- written as a difference, not as two comparisons of columns: that form reads to a planner as a range
  -- join of every arm with every order (DuckDB picked one at 80k arms and never finished)
  WHERE o.ts_ms - a.decided_ms BETWEEN 0 AND $window_days * 86400000.0
),
per_visitor AS (
  SELECT a.offer_id, a.variant, a.grp, a.visitor,
         COALESCE(MAX(s.seen_events), 0) AS seen_events,
         COUNT(t.order_key) AS orders,
         COALESCE(SUM(t.revenue), 0) AS revenue,
         COALESCE(SUM(t.discount), 0) AS discount
  FROM arms a
  LEFT JOIN attributed t ON t.visitor = a.visitor AND t.offer_id = a.offer_id
  LEFT JOIN seen s ON s.visitor = a.visitor AND s.offer_id = a.offer_id
  GROUP BY a.offer_id, a.variant, a.grp, a.visitor
)
SELECT offer_id,
       CASE WHEN grp = 'held_out' THEN NULL ELSE variant END AS variant,
       grp AS arm_group,
       COUNT(*) AS visitors,
       SUM(seen_events) AS exposed,
       SUM(CASE WHEN orders > 0 THEN 1 ELSE 0 END) AS conversions,
       SUM(CASE WHEN orders > 1 THEN 1 ELSE 0 END) AS repeaters,
       SUM(orders) AS orders,
       SUM(revenue) AS revenue,
       SUM(revenue * revenue) AS revenue_sq,
       SUM(discount) AS discount
FROM per_visitor
GROUP BY offer_id, CASE WHEN grp = 'held_out' THEN NULL ELSE variant END, grp
ORDER BY offer_id, arm_group, variant
