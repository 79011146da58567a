WITH "t11" AS (
  SELECT
    "t10"."customer_id",
    "t10"."lo",
    "t10"."hi",
    "t10"."first_k",
    "t10"."mrr",
    COALESCE(
      LEAD("t10"."lo") OVER (
        PARTITION BY "t10"."customer_id"
        ORDER BY "t10"."lo" ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) = (
        "t10"."hi" + 1
      ),
      FALSE
    ) AS "adjacent_next"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t8"."customer_id",
        GREATEST(
          CASE
            WHEN "t8"."at" = (
              MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
                CAST(FLOOR(
                  (
                    (
                      (
                        EXTRACT(year FROM "t8"."at") - 2024
                      ) * 12
                    ) + (
                      EXTRACT(month FROM "t8"."at") - 1
                    )
                  ) / 1
                ) AS BIGINT) * 1
              )
            )
            THEN CAST(FLOOR(
              (
                (
                  (
                    EXTRACT(year FROM "t8"."at") - 2024
                  ) * 12
                ) + (
                  EXTRACT(month FROM "t8"."at") - 1
                )
              ) / 1
            ) AS BIGINT)
            ELSE CAST(FLOOR(
              (
                (
                  (
                    EXTRACT(year FROM "t8"."at") - 2024
                  ) * 12
                ) + (
                  EXTRACT(month FROM "t8"."at") - 1
                )
              ) / 1
            ) AS BIGINT) + 1
          END,
          0
        ) AS "lo",
        LEAST(
          CASE
            WHEN "t8"."mrr" > 0.005
            THEN CASE
              WHEN "t8"."next_at" IS NULL
              THEN 24
              ELSE CASE
                WHEN "t8"."next_at" = (
                  MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
                    CAST(FLOOR(
                      (
                        (
                          (
                            EXTRACT(year FROM "t8"."next_at") - 2024
                          ) * 12
                        ) + (
                          EXTRACT(month FROM "t8"."next_at") - 1
                        )
                      ) / 1
                    ) AS BIGINT) * 1
                  )
                )
                THEN CAST(FLOOR(
                  (
                    (
                      (
                        EXTRACT(year FROM "t8"."next_at") - 2024
                      ) * 12
                    ) + (
                      EXTRACT(month FROM "t8"."next_at") - 1
                    )
                  ) / 1
                ) AS BIGINT)
                ELSE CAST(FLOOR(
                  (
                    (
                      (
                        EXTRACT(year FROM "t8"."next_at") - 2024
                      ) * 12
                    ) + (
                      EXTRACT(month FROM "t8"."next_at") - 1
                    )
                  ) / 1
                ) AS BIGINT) + 1
              END - 1
            END
            ELSE LEAST(
              CASE
                WHEN "t8"."next_at" IS NULL
                THEN 24
                ELSE CASE
                  WHEN "t8"."next_at" = (
                    MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
                      CAST(FLOOR(
                        (
                          (
                            (
                              EXTRACT(year FROM "t8"."next_at") - 2024
                            ) * 12
                          ) + (
                            EXTRACT(month FROM "t8"."next_at") - 1
                          )
                        ) / 1
                      ) AS BIGINT) * 1
                    )
                  )
                  THEN CAST(FLOOR(
                    (
                      (
                        (
                          EXTRACT(year FROM "t8"."next_at") - 2024
                        ) * 12
                      ) + (
                        EXTRACT(month FROM "t8"."next_at") - 1
                      )
                    ) / 1
                  ) AS BIGINT)
                  ELSE CAST(FLOOR(
                    (
                      (
                        (
                          EXTRACT(year FROM "t8"."next_at") - 2024
                        ) * 12
                      ) + (
                        EXTRACT(month FROM "t8"."next_at") - 1
                      )
                    ) / 1
                  ) AS BIGINT) + 1
                END - 1
              END,
              CASE
                WHEN "t8"."last_order_at" IS NULL
                THEN -1
                ELSE CASE
                  WHEN (
                    "t8"."last_order_at" + INTERVAL '365' DAY
                  ) = (
                    MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
                      CAST(FLOOR(
                        (
                          (
                            (
                              EXTRACT(year FROM "t8"."last_order_at" + INTERVAL '365' DAY) - 2024
                            ) * 12
                          ) + (
                            EXTRACT(month FROM "t8"."last_order_at" + INTERVAL '365' DAY) - 1
                          )
                        ) / 1
                      ) AS BIGINT) * 1
                    )
                  )
                  THEN CAST(FLOOR(
                    (
                      (
                        (
                          EXTRACT(year FROM "t8"."last_order_at" + INTERVAL '365' DAY) - 2024
                        ) * 12
                      ) + (
                        EXTRACT(month FROM "t8"."last_order_at" + INTERVAL '365' DAY) - 1
                      )
                    ) / 1
                  ) AS BIGINT)
                  ELSE CAST(FLOOR(
                    (
                      (
                        (
                          EXTRACT(year FROM "t8"."last_order_at" + INTERVAL '365' DAY) - 2024
                        ) * 12
                      ) + (
                        EXTRACT(month FROM "t8"."last_order_at" + INTERVAL '365' DAY) - 1
                      )
                    ) / 1
                  ) AS BIGINT) + 1
                END - 1
              END
            )
          END,
          24
        ) AS "hi",
        CASE
          WHEN "t8"."first_at" = (
            MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
              CAST(FLOOR(
                (
                  (
                    (
                      EXTRACT(year FROM "t8"."first_at") - 2024
                    ) * 12
                  ) + (
                    EXTRACT(month FROM "t8"."first_at") - 1
                  )
                ) / 1
              ) AS BIGINT) * 1
            )
          )
          THEN CAST(FLOOR(
            (
              (
                (
                  EXTRACT(year FROM "t8"."first_at") - 2024
                ) * 12
              ) + (
                EXTRACT(month FROM "t8"."first_at") - 1
              )
            ) / 1
          ) AS BIGINT)
          ELSE CAST(FLOOR(
            (
              (
                (
                  EXTRACT(year FROM "t8"."first_at") - 2024
                ) * 12
              ) + (
                EXTRACT(month FROM "t8"."first_at") - 1
              )
            ) / 1
          ) AS BIGINT) + 1
        END AS "first_k",
        "t8"."mrr"
      FROM (
        SELECT
          "t7"."customer_id",
          "t7"."at",
          "t7"."is_order",
          "t7"."mrr_delta",
          LEAD("t7"."at") OVER (
            PARTITION BY "t7"."customer_id"
            ORDER BY "t7"."at" ASC, "t7"."is_order" ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS "next_at",
          MAX(CASE WHEN "t7"."is_order" = 1 THEN "t7"."at" ELSE NULL END) OVER (
            PARTITION BY "t7"."customer_id"
            ORDER BY "t7"."at" ASC, "t7"."is_order" ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS "last_order_at",
          SUM("t7"."mrr_delta") OVER (
            PARTITION BY "t7"."customer_id"
            ORDER BY "t7"."at" ASC, "t7"."is_order" ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS "mrr",
          MIN("t7"."at") OVER (
            PARTITION BY "t7"."customer_id"
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS "first_at"
        FROM (
          SELECT
            *
          FROM (
            SELECT
              "t1"."customer_id",
              "t1"."ordered_at" AS "at",
              1 AS "is_order",
              0.0 AS "mrr_delta"
            FROM "order" AS "t1"
            WHERE
              NOT (
                "t1"."status" IN ('cancelled')
              )
          ) AS "t5"
          UNION ALL
          SELECT
            *
          FROM (
            SELECT
              "t2"."customer_id",
              "t2"."changed_at" AS "at",
              0 AS "is_order",
              CAST("t2"."mrr_after" - "t2"."mrr_before" AS DOUBLE) AS "mrr_delta"
            FROM "subscription_change" AS "t2"
          ) AS "t6"
        ) AS "t7"
      ) AS "t8"
    ) AS "t9"
    WHERE
      "t9"."lo" <= "t9"."hi"
  ) AS "t10"
), "t26" AS (
  SELECT
    "t25"."dimension",
    "t25"."k",
    SUM("t25"."active") AS "d_active",
    SUM("t25"."retained") AS "d_retained",
    SUM("t25"."new") AS "new",
    SUM("t25"."mrr") AS "d_mrr",
    SUM("t25"."paying") AS "d_paying"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          'all' AS "dimension",
          "t12"."lo" AS "k",
          0 AS "active",
          0 AS "retained",
          1 AS "new",
          0.0 AS "mrr",
          0 AS "paying"
        FROM "t11" AS "t12"
        WHERE
          "t12"."lo" = "t12"."first_k"
      ) AS "t14"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            'all' AS "dimension",
            "t12"."lo" AS "k",
            1 AS "active",
            0 AS "retained",
            0 AS "new",
            "t12"."mrr",
            CASE WHEN "t12"."mrr" > 0.005 THEN 1 ELSE 0 END AS "paying"
          FROM "t11" AS "t12"
        ) AS "t18"
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            'all' AS "dimension",
            "t12"."hi" + 1 AS "k",
            -(
              1
            ) AS "active",
            0 AS "retained",
            0 AS "new",
            -(
              "t12"."mrr"
            ) AS "mrr",
            -(
              CASE WHEN "t12"."mrr" > 0.005 THEN 1 ELSE 0 END
            ) AS "paying"
          FROM "t11" AS "t12"
        ) AS "t21"
      ) AS "t23"
    ) AS "t24"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            'all' AS "dimension",
            "t12"."lo" AS "k",
            0 AS "active",
            1 AS "retained",
            0 AS "new",
            0.0 AS "mrr",
            0 AS "paying"
          FROM "t11" AS "t12"
          WHERE
            "t12"."hi" > "t12"."lo"
        ) AS "t16"
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            'all' AS "dimension",
            "t12"."hi" AS "k",
            0 AS "active",
            -(
              1
            ) AS "retained",
            0 AS "new",
            0.0 AS "mrr",
            0 AS "paying"
          FROM "t11" AS "t12"
          WHERE
            "t12"."hi" > "t12"."lo"
        ) AS "t17"
      ) AS "t20"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            'all' AS "dimension",
            "t12"."hi" AS "k",
            0 AS "active",
            1 AS "retained",
            0 AS "new",
            0.0 AS "mrr",
            0 AS "paying"
          FROM "t11" AS "t12"
          WHERE
            "t12"."adjacent_next"
        ) AS "t13"
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            'all' AS "dimension",
            "t12"."hi" + 1 AS "k",
            0 AS "active",
            -(
              1
            ) AS "retained",
            0 AS "new",
            0.0 AS "mrr",
            0 AS "paying"
          FROM "t11" AS "t12"
          WHERE
            "t12"."adjacent_next"
        ) AS "t15"
      ) AS "t19"
    ) AS "t22"
  ) AS "t25"
  GROUP BY
    1,
    2
)
SELECT
  "t31"."dimension",
  "t31"."k",
  SUM("t31"."d_active") OVER (
    PARTITION BY "t31"."dimension"
    ORDER BY "t31"."k" ASC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS "active",
  SUM("t31"."d_retained") OVER (
    PARTITION BY "t31"."dimension"
    ORDER BY "t31"."k" ASC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS "retained",
  SUM("t31"."d_mrr") OVER (
    PARTITION BY "t31"."dimension"
    ORDER BY "t31"."k" ASC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS "mrr",
  SUM("t31"."d_paying") OVER (
    PARTITION BY "t31"."dimension"
    ORDER BY "t31"."k" ASC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS "paying",
  "t31"."new"
FROM (
  SELECT
    "t30"."dimension",
    "t4"."k",
    COALESCE("t28"."d_active", 0) AS "d_active",
    COALESCE("t28"."d_retained", 0) AS "d_retained",
    COALESCE("t28"."d_mrr", 0) AS "d_mrr",
    COALESCE("t28"."d_paying", 0) AS "d_paying",
    COALESCE("t28"."new", 0) AS "new"
  FROM (
    SELECT DISTINCT
      "t27"."dimension"
    FROM "t26" AS "t27"
  ) AS "t30"
  CROSS JOIN (
    SELECT
      "t0"."k"
    FROM "grid_0" AS "t0"
  ) AS "t4"
  LEFT OUTER JOIN "t26" AS "t28"
    ON "t30"."dimension" = "t28"."dimension" AND "t4"."k" = "t28"."k"
) AS "t31"
