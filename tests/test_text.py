import pytest
from django.utils.text import slugify

from vietfront.text import search_key, vi_slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Phường Đống Đa", "phuong-dong-da"),
        ("ĐẮK LẮK", "dak-lak"),
        ("Thị xã Điện Bàn", "thi-xa-dien-ban"),
        ("Huyện Mường Tè", "huyen-muong-te"),
        ("Phường Quán Thánh", "phuong-quan-thanh"),
        ("Xã Ea H'leo", "xa-ea-h-leo"),
        ("Phường 12", "phuong-12"),
        # Every tone on every vowel, in both cases.
        ("àáảãạ ằắẳẵặ ầấẩẫậ èéẻẽẹ ềếểễệ ìíỉĩị òóỏõọ ồốổỗộ ờớởỡợ ùúủũụ ừứửữự ỳýỷỹỵ", "aaaaa-aaaaa-aaaaa-eeeee-eeeee-iiiii-ooooo-ooooo-ooooo-uuuuu-uuuuu-yyyyy"),
        ("ÀÁẢÃẠ ĂÂÊÔƠƯ Đđ", "aaaaa-aaeoou-dd"),
    ],
)
def test_vi_slugify_transliterates_every_mark(name, slug):
    assert vi_slugify(name) == slug
    assert vi_slugify(name).isascii()


def test_django_slugify_is_the_bug_we_avoid():
    assert slugify("Đống Đa") == "ong-a"
    assert vi_slugify("Đống Đa") == "dong-da"


def test_search_key_folds_case_marks_and_spaces():
    assert search_key("  Hà   NỘI ") == "ha noi"
    assert search_key("Đống Đa") == search_key("dong da")
