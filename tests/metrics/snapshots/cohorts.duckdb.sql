WITH "t16" AS (
  SELECT
    *
  FROM (
    SELECT
      "t11"."customer_id",
      CASE
        WHEN "t11"."first_at" = (
          MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
            CAST(FLOOR(
              (
                (
                  (
                    EXTRACT(year FROM "t11"."first_at") - 2024
                  ) * 12
                ) + (
                  EXTRACT(month FROM "t11"."first_at") - 1
                )
              ) / 1
            ) AS BIGINT) * 1
          )
        )
        THEN CAST(FLOOR(
          (
            (
              (
                EXTRACT(year FROM "t11"."first_at") - 2024
              ) * 12
            ) + (
              EXTRACT(month FROM "t11"."first_at") - 1
            )
          ) / 1
        ) AS BIGINT)
        ELSE CAST(FLOOR(
          (
            (
              (
                EXTRACT(year FROM "t11"."first_at") - 2024
              ) * 12
            ) + (
              EXTRACT(month FROM "t11"."first_at") - 1
            )
          ) / 1
        ) AS BIGINT) + 1
      END - 1 AS "cohort"
    FROM (
      SELECT
        "t9"."customer_id",
        MIN("t9"."at") AS "first_at"
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
        ) AS "t7"
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
        ) AS "t8"
      ) AS "t9"
      GROUP BY
        1
    ) AS "t11"
  ) AS "t15"
  WHERE
    "t15"."cohort" >= 0 AND "t15"."cohort" < 24
), "t30" AS (
  SELECT
    "t29"."customer_id",
    "t29"."q",
    "t29"."cohort",
    "t29"."q" - "t29"."cohort" AS "k"
  FROM (
    SELECT
      "t26"."customer_id",
      "t26"."q",
      "t19"."cohort"
    FROM (
      SELECT DISTINCT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            CAST("t1"."customer_id" AS TEXT) AS "customer_id",
            CASE
              WHEN "t1"."ordered_at" = (
                MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
                  CAST(FLOOR(
                    (
                      (
                        (
                          EXTRACT(year FROM "t1"."ordered_at") - 2024
                        ) * 12
                      ) + (
                        EXTRACT(month FROM "t1"."ordered_at") - 1
                      )
                    ) / 1
                  ) AS BIGINT) * 1
                )
              )
              THEN CAST(FLOOR(
                (
                  (
                    (
                      EXTRACT(year FROM "t1"."ordered_at") - 2024
                    ) * 12
                  ) + (
                    EXTRACT(month FROM "t1"."ordered_at") - 1
                  )
                ) / 1
              ) AS BIGINT)
              ELSE CAST(FLOOR(
                (
                  (
                    (
                      EXTRACT(year FROM "t1"."ordered_at") - 2024
                    ) * 12
                  ) + (
                    EXTRACT(month FROM "t1"."ordered_at") - 1
                  )
                ) / 1
              ) AS BIGINT) + 1
            END - 1 AS "q"
          FROM "order" AS "t1"
          WHERE
            "t1"."status" <> 'cancelled'
        ) AS "t12"
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            *
          FROM (
            SELECT
              "t14"."customer_id",
              "t4"."q"
            FROM (
              SELECT
                "t10"."customer_id",
                CASE
                  WHEN "t10"."changed_at" = (
                    MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
                      CAST(FLOOR(
                        (
                          (
                            (
                              EXTRACT(year FROM "t10"."changed_at") - 2024
                            ) * 12
                          ) + (
                            EXTRACT(month FROM "t10"."changed_at") - 1
                          )
                        ) / 1
                      ) AS BIGINT) * 1
                    )
                  )
                  THEN CAST(FLOOR(
                    (
                      (
                        (
                          EXTRACT(year FROM "t10"."changed_at") - 2024
                        ) * 12
                      ) + (
                        EXTRACT(month FROM "t10"."changed_at") - 1
                      )
                    ) / 1
                  ) AS BIGINT)
                  ELSE CAST(FLOOR(
                    (
                      (
                        (
                          EXTRACT(year FROM "t10"."changed_at") - 2024
                        ) * 12
                      ) + (
                        EXTRACT(month FROM "t10"."changed_at") - 1
                      )
                    ) / 1
                  ) AS BIGINT) + 1
                END - 1 AS "first_q",
                CASE
                  WHEN "t10"."until" IS NULL
                  THEN 23
                  ELSE CASE
                    WHEN "t10"."until" = (
                      MAKE_TIMESTAMP(2024, 1, 1, 0, 0, 0.0) + TO_MONTHS(
                        CAST(FLOOR(
                          (
                            (
                              (
                                EXTRACT(year FROM "t10"."until") - 2024
                              ) * 12
                            ) + (
                              EXTRACT(month FROM "t10"."until") - 1
                            )
                          ) / 1
                        ) AS BIGINT) * 1
                      )
                    )
                    THEN CAST(FLOOR(
                      (
                        (
                          (
                            EXTRACT(year FROM "t10"."until") - 2024
                          ) * 12
                        ) + (
                          EXTRACT(month FROM "t10"."until") - 1
                        )
                      ) / 1
                    ) AS BIGINT)
                    ELSE CAST(FLOOR(
                      (
                        (
                          (
                            EXTRACT(year FROM "t10"."until") - 2024
                          ) * 12
                        ) + (
                          EXTRACT(month FROM "t10"."until") - 1
                        )
                      ) / 1
                    ) AS BIGINT) + 1
                  END - 1
                END AS "last_q"
              FROM (
                SELECT
                  "t2"."change_id",
                  "t2"."customer_id",
                  "t2"."subscription_id",
                  "t2"."changed_at",
                  "t2"."plan",
                  "t2"."mrr_before",
                  "t2"."mrr_after",
                  "t2"."currency",
                  "t2"."kind",
                  "t2"."renews_at",
                  SUM("t2"."mrr_after" - "t2"."mrr_before") OVER (
                    PARTITION BY "t2"."customer_id"
                    ORDER BY "t2"."changed_at" ASC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                  ) AS "mrr",
                  LEAD("t2"."changed_at") OVER (
                    PARTITION BY "t2"."customer_id"
                    ORDER BY "t2"."changed_at" ASC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                  ) AS "until"
                FROM "subscription_change" AS "t2"
              ) AS "t10"
              WHERE
                "t10"."mrr" > 0.005
            ) AS "t14"
            INNER JOIN "grid_0" AS "t4"
              ON "t4"."q" >= "t14"."first_q" AND "t4"."q" <= "t14"."last_q"
          ) AS "t17"
        ) AS "t20"
      ) AS "t22"
      WHERE
        "t22"."q" >= 0 AND "t22"."q" < 24
    ) AS "t26"
    INNER JOIN "t16" AS "t19"
      ON "t26"."customer_id" = "t19"."customer_id"
  ) AS "t29"
  WHERE
    (
      "t29"."q" - "t29"."cohort"
    ) >= 0
), "t33" AS (
  SELECT
    "t31"."cohort",
    "t31"."customer_id",
    MAX("t31"."k") AS "last_k"
  FROM "t30" AS "t31"
  GROUP BY
    1,
    2
)
SELECT
  "t41"."cohort",
  "t41"."k",
  "t41"."cohort_size",
  "t41"."customers",
  SUM("t41"."step") OVER (
    PARTITION BY "t41"."cohort"
    ORDER BY "t41"."k" ASC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS "customers_unbounded"
FROM (
  SELECT
    "t28"."cohort",
    "t28"."k",
    "t28"."cohort_size",
    COALESCE("t40"."step", 0) AS "step",
    COALESCE("t34"."customers", 0) AS "customers"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t23"."cohort",
        "t23"."cohort_size",
        "t6"."k"
      FROM (
        SELECT
          "t18"."cohort",
          COUNT(*) AS "cohort_size"
        FROM "t16" AS "t18"
        GROUP BY
          1
      ) AS "t23"
      CROSS JOIN (
        SELECT
          "t0"."q" AS "k"
        FROM "grid_1" AS "t0"
      ) AS "t6"
    ) AS "t24"
    WHERE
      (
        "t24"."cohort" + "t24"."k"
      ) < 24
  ) AS "t28"
  LEFT OUTER JOIN (
    SELECT
      "t38"."cohort",
      "t38"."k",
      SUM("t38"."step") AS "step"
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t35"."cohort",
          0 AS "k",
          1 AS "step"
        FROM "t33" AS "t35"
      ) AS "t36"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          "t35"."cohort",
          "t35"."last_k" + 1 AS "k",
          -1 AS "step"
        FROM "t33" AS "t35"
      ) AS "t37"
    ) AS "t38"
    GROUP BY
      1,
      2
  ) AS "t40"
    ON "t28"."cohort" = "t40"."cohort" AND "t28"."k" = "t40"."k"
  LEFT OUTER JOIN (
    SELECT
      "t31"."cohort",
      "t31"."k",
      COUNT(*) AS "customers"
    FROM "t30" AS "t31"
    GROUP BY
      1,
      2
  ) AS "t34"
    ON "t28"."cohort" = "t34"."cohort" AND "t28"."k" = "t34"."k"
) AS "t41"
