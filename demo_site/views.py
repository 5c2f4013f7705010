"""The shop's pages. Each one says, next to its code, which analytics event it emits.

Segment-spec events go through ``pixel.segment(...)`` and the library's default mappings; the
product page uses the native ``pixel.track(...)`` API instead, to show both.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from tiktok_pixel.contrib.flask import pixel

from . import analytics
from .catalogue import Catalogue, Product
from .store import Contact, ContactBook, mask_email, mask_phone

shop = Blueprint("shop", __name__)

FREE_SHIPPING_FROM = 50.0
SHIPPING = 4.9
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: HTML's whitespace. ``str.strip()`` would also eat U+2028/U+2029 and other Unicode spaces, so
#: the query tracked and shown would differ from the one typed.
_ASCII_WHITESPACE = " \t\n\r\f"


def catalogue() -> Catalogue:
    return current_app.extensions["demo_shop"]["catalogue"]  # type: ignore[no-any-return]


def contacts() -> ContactBook:
    return current_app.extensions["demo_shop"]["contacts"]  # type: ignore[no-any-return]


def visitor() -> dict[str, str | None]:
    """Segment's ``anonymousId`` (one per browser session) and ``userId`` once signed in."""
    if "anonymous_id" not in session:
        session["anonymous_id"] = str(uuid.uuid4())
    return {"anonymous_id": session["anonymous_id"], "user_id": session.get("user_id")}


def product_or_404(product_id: str) -> Product:
    product = catalogue().get(product_id)
    if product is None:
        abort(404)
    return product


def cart_lines() -> list[tuple[Product, int]]:
    lines = []
    for product_id, quantity in session.get("cart", {}).items():
        product = catalogue().get(product_id)
        if product is not None and quantity > 0:
            lines.append((product, int(quantity)))
    return lines


def subtotal(lines: list[tuple[Product, int]]) -> float:
    return round(sum(product.price * quantity for product, quantity in lines), 2)


def shipping_for(amount: float) -> float:
    return 0.0 if amount >= FREE_SHIPPING_FROM else SHIPPING


def checkout_id() -> str:
    if "checkout_id" not in session:
        session["checkout_id"] = secrets.token_hex(8)
    return str(session["checkout_id"])


@shop.app_context_processor
def shop_context() -> dict[str, Any]:
    return {
        "categories": catalogue().categories,
        "currency": catalogue().currency,
        "cart_count": sum(session.get("cart", {}).values()),
        "wishlist_count": len(session.get("wishlist", [])),
        "signed_in_as": session.get("signed_in_as"),
    }


@shop.app_template_filter("money")
def money(amount: float) -> str:
    return f"€{amount:,.2f}"


# -- browsing ---------------------------------------------------------------------------------


@shop.get("/")
def home() -> str:
    # Segment page event -> TikTok ViewContent (default mapping)
    pixel.segment(analytics.page(visitor(), "Home", path=request.path))
    return render_template("shop/listing.html", title="All products", products=catalogue().products)


@shop.get("/c/<category>")
def category(category: str) -> str:
    products = catalogue().in_category(category)
    if not products:
        abort(404)
    name = products[0].category
    pixel.segment(analytics.page(visitor(), name, path=request.path, category="Category"))
    return render_template("shop/listing.html", title=name, products=products)


@shop.get("/search")
def search() -> str:
    query = request.args.get("q", "").strip(_ASCII_WHITESPACE)[:200]
    results = catalogue().search(query) if query else []
    if query:
        # "Products Searched" -> TikTok Search
        pixel.segment(analytics.products_searched(visitor(), query))
    return render_template("shop/search.html", query=query, products=results)


@shop.get("/p/<product_id>")
def product(product_id: str) -> str:
    item = product_or_404(product_id)
    # The native API, no Segment event: ttq.track("ViewContent", …) written out in Python.
    pixel.track(
        "ViewContent",
        contents=[
            {
                "content_id": item.id,
                "content_name": item.name,
                "content_category": item.category,
                "brand": item.brand,
                "price": item.price,
                "quantity": 1,
            }
        ],
        content_type="product",
        value=item.price,
        currency=catalogue().currency,
    )
    return render_template("shop/product.html", product=item)


@shop.get("/p/<product_id>.svg")
def product_image(product_id: str) -> Response:
    item = product_or_404(product_id)
    svg = render_template("shop/product.svg", product=item)
    response = Response(svg, mimetype="image/svg+xml")
    response.cache_control.max_age = 3600
    return response


# -- wishlist and cart (POST, then redirect: the event fires on the next page) ----------------


@shop.post("/wishlist")
def add_to_wishlist() -> BaseResponse:
    item = product_or_404(request.form.get("product_id", ""))
    wishlist = session.get("wishlist", [])
    if item.id not in wishlist:
        session["wishlist"] = [*wishlist, item.id]
    # "Product Added to Wishlist" -> AddToWishlist, carried to the next page by the extension
    pixel.segment(analytics.product_added_to_wishlist(visitor(), item, catalogue().currency))
    return redirect(url_for("shop.wishlist"), 303)


@shop.get("/wishlist")
def wishlist() -> str:
    items = [p for p in (catalogue().get(i) for i in session.get("wishlist", [])) if p]
    return render_template("shop/wishlist.html", products=items)


@shop.post("/cart")
def add_to_cart() -> BaseResponse:
    item = product_or_404(request.form.get("product_id", ""))
    try:
        quantity = max(1, min(int(request.form.get("quantity", "1")), 20))
    except ValueError:
        quantity = 1
    cart = dict(session.get("cart", {}))
    cart[item.id] = cart.get(item.id, 0) + quantity
    session["cart"] = cart
    event = analytics.product_added(
        visitor(), item, quantity, catalogue().currency, cart_id=checkout_id()
    )
    pixel.segment(event)  # "Product Added" -> AddToCart, on the cart page after the redirect
    if request.headers.get("HX-Request") == "true":
        # htmx from the listing: a fragment; the pixel puts AddToCart in the HX-Trigger header
        count = sum(cart.values())
        return Response(f"Added · {count} in cart", mimetype="text/html")
    return redirect(url_for("shop.cart"), 303)


@shop.post("/cart/remove")
def remove_from_cart() -> BaseResponse:
    cart = dict(session.get("cart", {}))
    cart.pop(request.form.get("product_id", ""), None)
    session["cart"] = cart
    return redirect(url_for("shop.cart"), 303)


@shop.get("/cart")
def cart() -> str:
    lines = cart_lines()
    amount = subtotal(lines)
    return render_template(
        "shop/cart.html", lines=lines, subtotal=amount, shipping=shipping_for(amount)
    )


# -- checkout ---------------------------------------------------------------------------------


def _checkout_totals() -> tuple[list[tuple[Product, int]], float, float]:
    lines = cart_lines()
    amount = subtotal(lines)
    return lines, amount, shipping_for(amount)


@shop.route("/checkout", methods=["GET", "POST"])
def checkout() -> BaseResponse | str | tuple[str, int]:
    lines, amount, shipping = _checkout_totals()
    if not lines:
        return redirect(url_for("shop.cart"), 303)
    errors: dict[str, str] = {}
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        phone = request.form.get("phone", "").strip()
        name = request.form.get("name", "").strip()[:100]
        if not _EMAIL_RE.fullmatch(email):
            errors["email"] = "Enter an email address like name@example.com."
        if len([c for c in phone if c.isdigit()]) < 7:
            errors["phone"] = "Enter a phone number with its country code, like +44 7700 900123."
        if not errors:
            contacts().put(checkout_id(), Contact(email=email, phone=phone, name=name))
            return redirect(url_for("shop.payment"), 303)
        # Re-rendered without the values typed: the shop never echoes an email or phone number.
        return render_template(
            "shop/checkout.html", lines=lines, subtotal=amount, shipping=shipping, errors=errors
        ), 400
    # "Checkout Started" -> InitiateCheckout
    pixel.segment(
        analytics.checkout_started(
            visitor(),
            lines,
            value=amount,
            currency=catalogue().currency,
            checkout_id=checkout_id(),
        )
    )
    return render_template(
        "shop/checkout.html", lines=lines, subtotal=amount, shipping=shipping, errors=errors
    )


def _card_digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return 12 <= len(digits) <= 19 and total % 10 == 0


@shop.route("/checkout/payment", methods=["GET", "POST"])
def payment() -> BaseResponse | str | tuple[str, int]:
    lines, amount, shipping = _checkout_totals()
    contact = contacts().get(session.get("checkout_id"))
    if not lines or contact is None:
        return redirect(url_for("shop.checkout"), 303)
    errors: dict[str, str] = {}
    if request.method == "POST":
        digits = _card_digits(request.form.get("card_number", ""))
        if not luhn_ok(digits):
            errors["card_number"] = "That card number is not valid; try 4242 4242 4242 4242."
        if not re.fullmatch(r"\s*(0[1-9]|1[0-2])\s*/\s*\d{2}\s*", request.form.get("expiry", "")):
            errors["expiry"] = "Enter the expiry date as MM/YY."
        if not re.fullmatch(r"\s*\d{3,4}\s*", request.form.get("cvc", "")):
            errors["cvc"] = "Enter the 3 or 4 digits on the back of the card."
        if not errors:
            session["card_last4"] = digits[-4:]
            # "Payment Info Entered" -> AddPaymentInfo, on the review page after the redirect
            pixel.segment(
                analytics.payment_info_entered(
                    visitor(),
                    lines,
                    value=amount,
                    currency=catalogue().currency,
                    checkout_id=checkout_id(),
                    payment_method="card",
                )
            )
            return redirect(url_for("shop.review"), 303)
        return render_template(
            "shop/payment.html", lines=lines, subtotal=amount, shipping=shipping, errors=errors
        ), 400
    return render_template(
        "shop/payment.html", lines=lines, subtotal=amount, shipping=shipping, errors=errors
    )


@shop.get("/checkout/review")
def review() -> BaseResponse | str:
    lines, amount, shipping = _checkout_totals()
    contact = contacts().get(session.get("checkout_id"))
    if not lines or contact is None or "card_last4" not in session:
        return redirect(url_for("shop.checkout"), 303)
    return render_template(
        "shop/review.html",
        lines=lines,
        subtotal=amount,
        shipping=shipping,
        email=mask_email(contact.email),
        phone=mask_phone(contact.phone),
        card_last4=session["card_last4"],
    )


@shop.post("/checkout/place")
def place_order() -> BaseResponse:
    lines, amount, shipping = _checkout_totals()
    contact = contacts().pop(session.get("checkout_id"))
    if not lines or contact is None:
        return redirect(url_for("shop.checkout"), 303)
    order_id = "DEMO-" + secrets.token_hex(4).upper()
    # "Order Completed" -> identify (email and phone typed at checkout, hashed on the server)
    # then PlaceAnOrder, both on the confirmation page after the redirect.
    pixel.segment(
        analytics.order_completed(
            visitor(),
            lines,
            order_id=order_id,
            revenue=amount,
            shipping=shipping,
            currency=catalogue().currency,
            traits={"email": contact.email, "phone": contact.phone},
        )
    )
    session["last_order"] = {
        "id": order_id,
        "lines": [[p.id, q] for p, q in lines],
        "subtotal": amount,
        "shipping": shipping,
        "email": mask_email(contact.email),
    }
    for key in ("cart", "checkout_id", "card_last4"):
        session.pop(key, None)
    return redirect(url_for("shop.order", order_id=order_id), 303)


@shop.get("/order/<order_id>")
def order(order_id: str) -> str:
    last = session.get("last_order")
    if not last or last["id"] != order_id:
        abort(404)
    lines = [(p, q) for p, q in ((catalogue().get(i), q) for i, q in last["lines"]) if p]
    return render_template("shop/order.html", order=last, lines=lines)


# -- account ----------------------------------------------------------------------------------


def user_id_for(email: str) -> str:
    """A stable customer id for the demo (a real shop would use its database id)."""
    return "cust_" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:12]


@shop.route("/signin", methods=["GET", "POST"])
def signin() -> BaseResponse | str | tuple[str, int]:
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        if not _EMAIL_RE.fullmatch(email):
            return render_template("shop/signin.html", error=True), 400
        session["user_id"] = user_id_for(email)
        session["signed_in_as"] = mask_email(email)
        # Segment identify -> ttq.identify (email hashed on the server, userId -> external_id)
        pixel.segment(analytics.identify(visitor(), {"email": email}))
        return redirect(url_for("shop.account"), 303)
    return render_template("shop/signin.html", error=False)


@shop.get("/account")
def account() -> BaseResponse | str:
    if not session.get("user_id"):
        return redirect(url_for("shop.signin"), 303)
    return render_template("shop/account.html")


@shop.post("/signout")
def signout() -> BaseResponse:
    for key in ("user_id", "signed_in_as"):
        session.pop(key, None)
    return redirect(url_for("shop.home"), 303)
