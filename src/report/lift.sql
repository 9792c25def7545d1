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
-- Plain SQL on purpose: CTEs, joins, GROUP BY (MIN_BY), ROW_NUMBER with QUALIFY; no JSON, dates or arrays here.
WITH decisions AS (
  SELECT anonymous_id AS visitor, offer_id, variant, decision_id, ts_ms, event, message_id,
         CASE WHEN event = 'offer_held_out' OR holdout THEN 'held_out' ELSE 'exposed' END AS grp
  FROM events
  WHERE event IN ('offer_seen', 'offer_held_out') AND offer_id IS NOT NULL AND anonymous_id IS NOT NULL
),
arms AS (
  -- a visitor's first decision of an offer puts them in its arm; later ones count as exposures only.
  -- Aggregates, not ROW_NUMBER: sorting millions of decisions was most of the report's time.
  -- A call retried with the same messageId is one exposure (COUNT DISTINCT).
  SELECT visitor, offer_id,
         MIN(ts_ms) AS decided_ms,
         MIN_BY(variant, ts_ms) AS variant,
         MIN_BY(grp, ts_ms) AS grp,
         COUNT(DISTINCT CASE WHEN event = 'offer_seen' THEN message_id END) AS seen_events
  FROM decisions
  GROUP BY visitor, offer_id
),
links AS (
  -- identify (or any decision or order carrying both ids) ties an anonymous id to a person
  SELECT DISTINCT anonymous_id, user_id FROM events
  WHERE anonymous_id IS NOT NULL AND user_id IS NOT NULL
),
order_copies AS (
  -- every copy of an order: retried (same messageId) or sent again (storefront and checkout pixel)
  SELECT COALESCE(order_id, message_id) AS order_key, message_id, anonymous_id, user_id, ts_ms,
         COALESCE(revenue, total, subtotal, 0) AS revenue, COALESCE(discount, 0) AS discount
  FROM events WHERE event = 'Order Completed'
),
orders AS (
  -- ...count once per order_id, at the first copy
  SELECT * FROM order_copies
  WHERE TRUE  -- BigQuery wants a WHERE, GROUP BY or HAVING beside QUALIFY
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
  SELECT h.visitor, h.offer_id, COUNT(*) AS orders, SUM(o.revenue) AS revenue, SUM(o.discount) AS discount
  FROM (SELECT * FROM by_id UNION ALL SELECT * FROM by_stamp) h
  JOIN arms a ON a.visitor = h.visitor AND a.offer_id = h.offer_id
  JOIN orders o ON o.order_key = h.order_key
  -- written as a difference, not as two comparisons of columns: that form reads to a planner as a range
  -- join of every arm with every order (DuckDB picked one at 80k arms and never finished)
  WHERE o.ts_ms - a.decided_ms BETWEEN 0 AND $window_days * 86400000.0
  GROUP BY h.visitor, h.offer_id
)
SELECT a.offer_id,
       CASE WHEN a.grp = 'held_out' THEN NULL ELSE a.variant END AS variant,
       a.grp AS arm_group,
       COUNT(*) AS visitors,
       SUM(a.seen_events) AS exposed,
       SUM(CASE WHEN t.orders > 0 THEN 1 ELSE 0 END) AS conversions,
       SUM(CASE WHEN t.orders > 1 THEN 1 ELSE 0 END) AS repeaters,
       COALESCE(SUM(t.orders), 0) AS orders,
       COALESCE(SUM(t.revenue), 0) AS revenue,
       COALESCE(SUM(t.revenue * t.revenue), 0) AS revenue_sq,
       COALESCE(SUM(t.discount), 0) AS discount
FROM arms a
LEFT JOIN attributed t ON t.visitor = a.visitor AND t.offer_id = a.offer_id
GROUP BY a.offer_id, CASE WHEN a.grp = 'held_out' THEN NULL ELSE a.variant END, a.grp
ORDER BY offer_id, arm_group, variant
