SELECT
  "t2"."dimension",
  "t2"."p",
  SUM(CASE WHEN "t2"."kind" = 'new' THEN "t2"."mrr_after" ELSE 0.0 END) AS "new_mrr",
  SUM(
    CASE
      WHEN "t2"."kind" = 'expansion'
      THEN ABS("t2"."mrr_after" - "t2"."mrr_before")
      ELSE 0.0
    END
  ) AS "expansion_mrr",
  SUM(
    CASE
      WHEN "t2"."kind" = 'contraction'
      THEN ABS("t2"."mrr_after" - "t2"."mrr_before")
      ELSE 0.0
    END
  ) AS "contraction_mrr",
  SUM(CASE WHEN "t2"."kind" = 'churn' THEN "t2"."mrr_before" ELSE 0.0 END) AS "churned_mrr",
  SUM(CASE WHEN "t2"."kind" = 'reactivation' THEN "t2"."mrr_after" ELSE 0.0 END) AS "reactivation_mrr"
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t0"."change_id",
      "t0"."customer_id",
      "t0"."subscription_id",
      "t0"."changed_at",
      "t0"."plan",
      "t0"."mrr_before",
      "t0"."mrr_after",
      "t0"."currency",
      "t0"."kind",
      "t0"."renews_at",
      'all' AS "dimension",
      CASE
        WHEN "t0"."changed_at" = (
          CAST('2024-01-01T00:00:00' AS TIMESTAMP) + MAKE_INTERVAL(
            months => CAST(CAST(FLOOR(
              CAST((
                (
                  (
                    EXTRACT(year FROM "t0"."changed_at") - 2024
                  ) * 12
                ) + (
                  EXTRACT(month FROM "t0"."changed_at") - 1
                )
              ) AS DOUBLE PRECISION) / 1
            ) AS BIGINT) * 1 AS INT)
          )
        )
        THEN CAST(FLOOR(
          CAST((
            (
              (
                EXTRACT(year FROM "t0"."changed_at") - 2024
              ) * 12
            ) + (
              EXTRACT(month FROM "t0"."changed_at") - 1
            )
          ) AS DOUBLE PRECISION) / 1
        ) AS BIGINT)
        ELSE CAST(FLOOR(
          CAST((
            (
              (
                EXTRACT(year FROM "t0"."changed_at") - 2024
              ) * 12
            ) + (
              EXTRACT(month FROM "t0"."changed_at") - 1
            )
          ) AS DOUBLE PRECISION) / 1
        ) AS BIGINT) + 1
      END - 1 AS "p"
    FROM "subscription_change" AS "t0"
  ) AS "t1"
  WHERE
    "t1"."p" >= 0 AND "t1"."p" < 24
) AS "t2"
GROUP BY
  1,
  2
