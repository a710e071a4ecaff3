package demo

import (
	"context"
	"fmt"

	"tsunagu/internal/careplan"
	"tsunagu/internal/store"
)

// Fictional 介護保険 numbers of the demo region, for the care-plan data
// import (ケアプランデータ連携): the office numbers of the facilities that
// exchange 第6表 files, and an insurer, つなぐ市 (fictional), whose 保険者番号
// 139998 holds to the check digit. Every patient gets a 被保険者番号
// 99000000NN in the order they were registered.
var demoOfficeNumbers = map[string]string{
	"cm":       "1379900001", // あおば居宅介護支援事業所: sends the 予定 files
	"station":  "1369900002", // ひまわり訪問看護ステーション: imports them
	"helper":   "1379900003",
	"pharmacy": "1339900004",
}

// DemoInsurerNumber is the fictional つなぐ市's 保険者番号.
const DemoInsurerNumber = "139998"

func fillCareplan(ctx context.Context, tx *store.Tx, facilityIDs map[string]string) error {
	for key, number := range demoOfficeNumbers {
		if err := careplan.ValidOfficeNumber(number); err != nil {
			return fmt.Errorf("demo office number of %s: %w", key, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE facility SET office_number = ? WHERE id = ?`, number, facilityIDs[key]); err != nil {
			return err
		}
	}
	if err := careplan.ValidInsurerNumber(DemoInsurerNumber); err != nil {
		return err
	}
	ids := []string{}
	if err := tx.Select(ctx, &ids, `SELECT id FROM patient ORDER BY id`); err != nil {
		return err
	}
	for i, id := range ids {
		if _, err := tx.Exec(ctx, `UPDATE patient SET insurer_number = ?, insured_number = ? WHERE id = ?`,
			DemoInsurerNumber, fmt.Sprintf("99000000%02d", i+1), id); err != nil {
			return err
		}
	}
	return nil
}
