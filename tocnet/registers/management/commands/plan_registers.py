import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.members.models import Unit
from tocnet.registers.selectors import default_plan_options, plan_as_json, unit_plan_list
from tocnet.registers.services import register_plan_apply


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = (
        "Plan the registers of every unit (or one, --unit ABBR): balanced, one per "
        "representative, districts kept together. Saves nothing unless --apply."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", help="only this unit, by abbreviation (e.g. กพ)")
        parser.add_argument("--apply", action="store_true", help="save the plan (audited)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--tolerance",
            type=int,
            default=None,
            help="largest minus smallest register (default: REGISTER_SIZE_TOLERANCE, 2)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        units = Unit.objects.order_by("kind", "name")
        if options["unit"]:
            units = units.filter(abbreviation=str(options["unit"]).strip().rstrip("."))
            if not units.exists():
                raise CommandError(f"No unit with abbreviation {options['unit']!r}")
        try:
            tolerance = options["tolerance"]
            plan_options = default_plan_options(
                tolerance=None if tolerance is None else int(tolerance)
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        cooperative = unit_plan_list(units, options=plan_options)
        if options["json"]:
            self.stdout.write(json.dumps(plan_as_json(cooperative), ensure_ascii=False))
        else:
            for unit, plan in cooperative.pairs():
                sizes = "/".join(str(s) for s in plan.sizes) or "-"
                flags = f"  [{', '.join(plan.flags)}]" if plan.flags else ""
                self.stdout.write(
                    f"{unit.abbreviation:<8} {plan.member_count:>5} members "
                    f"{plan.representative_count:>3} reps  registers {sizes}  "
                    f"split districts {plan.split_districts} (cutting in order: "
                    f"{plan.baseline_split_districts})  moves {len(plan.moves)}{flags}"
                )
            self.stdout.write(
                f"{len(cooperative.plans)} units, "
                f"{sum(p.member_count for p in cooperative.plans)} members, "
                f"{sum(len(p.registers) for p in cooperative.plans)} registers; "
                f"split districts {cooperative.split_districts} vs "
                f"{cooperative.baseline_split_districts} cutting in order; "
                f"{cooperative.moves} moves; planned in {cooperative.planning_seconds:.3f} s."
            )
        if options["apply"]:
            result = register_plan_apply(
                units=cooperative.units,
                actor="tocnet plan_registers",
                fingerprints=cooperative.fingerprints,
                options=plan_options,
            )
            summary = (
                f"Applied: {len(result.units_changed)} units changed, "
                f"{result.registers_created} registers created, "
                f"{result.registers_updated} updated, {result.registers_retired} retired, "
                f"{result.memberships_opened} memberships opened, "
                f"{result.memberships_closed} closed, {result.moves} moves."
            )
            (self.stderr if options["json"] else self.stdout).write(summary)
