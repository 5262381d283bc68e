"""The login and admin pages' words: Vietnamese first, English with ?lang=en (as layouts/i18n.py does for pages)."""
from __future__ import annotations

MESSAGES = {
    "login_title": ("Đăng nhập", "Sign in"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "submit": ("Đăng nhập", "Sign in"),
    "bad_login": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "locked": ("Tạm khóa do đăng nhập sai nhiều lần. Thử lại sau {minutes} phút.",
               "Locked after repeated failures. Try again in {minutes} minutes."),
    "expired_form": ("Biểu mẫu đã hết hạn, vui lòng thử lại.", "The form expired, please try again."),
    "logout": ("Đăng xuất", "Sign out"),
    "logout_confirm": ("Đăng xuất khỏi mọi thiết bị?", "Sign out on every device?"),
    "signed_out": ("Đã đăng xuất.", "Signed out."),
    "other_language": ("English", "Tiếng Việt"),
    "admin": ("Quản trị", "Administration"),
    "users": ("Người dùng", "Users"),
    "tokens": ("Mã truy cập", "Tokens"),
    "audit": ("Nhật ký kiểm toán", "Audit log"),
    "role": ("Vai trò", "Role"),
    "scope": ("Phạm vi", "Scope"),
    "disabled": ("Đã khóa", "Disabled"),
    "disable": ("Khóa", "Disable"),
    "enable": ("Mở khóa", "Enable"),
    "reset": ("Đặt lại mật khẩu", "Reset password"),
    "add_user": ("Thêm người dùng", "Add a user"),
    "add_token": ("Tạo mã truy cập", "Create a token"),
    "revoke": ("Thu hồi", "Revoke"),
    "revoked": ("Đã thu hồi", "Revoked"),
    "kind": ("Loại", "Kind"),
    "name": ("Tên", "Name"),
    "expires": ("Hết hạn", "Expires"),
    "views": ("Màn hình", "Views"),
    "created": ("Tạo lúc", "Created"),
    "last_login": ("Đăng nhập gần nhất", "Last login"),
    "when": ("Thời điểm", "When"),
    "actor": ("Người thực hiện", "Actor"),
    "action": ("Hành động", "Action"),
    "target": ("Đối tượng", "Target"),
    "shown_once": ("Chỉ hiển thị một lần, hãy lưu lại ngay:", "Shown once, keep it now:"),
    "error": ("Lỗi", "Error"),
    "back": ("Về trang tổng quan", "Back to the overview"),
}


def labels(lang: str) -> dict[str, str]:
    return {k: (en if lang == "en" else vi) for k, (vi, en) in MESSAGES.items()}
