from django import template

register = template.Library()


@register.filter
def figure(b: dict | None) -> str:
    """An exact figure as "1,234"; a suppressed one as its range "10–14"; none as "–"."""
    if not b or b.get("lower") is None:
        return "–"
    if b.get("value") is not None:
        return f"{b['value']:,}"
    return f"{b['lower']:,}–{b['upper']:,}"


@register.filter
def signed(n: int | None) -> str:
    return "–" if n is None else f"{n:+,}"
