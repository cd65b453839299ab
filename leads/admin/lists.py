"""Admin lists that may hold a million rows: each page and its count from one query
(leads.counting.ListPaginator), and rows drawn for less."""

from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import InvalidPage
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _

from leads.counting import ListPaginator

# Stands for a row's key in a change URL reversed once for a page of rows.
KEY_MARKER = "row-key"


class OneQueryChangeList(ChangeList):
    """An admin list that takes its page and the page's count from one query (ListPaginator).

    Django's own asks the paginator for the count first, then for the rows (two queries),
    and lists the whole queryset when it fits on a page; "show all" is not offered here.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django adds the list's filters to each row's link (add_preserved_filters), resolving
        # the link's URL once a row to do it; url_for_result adds them once for the page, so
        # that per-row step is left nothing to add. Nothing else reads cl.preserved_filters.
        self.row_filters, self.preserved_filters = self.preserved_filters, ""

    def get_results(self, request):
        # ListPaginator here, not through ModelAdmin.paginator: the admin's other pages (a
        # row's history: LogEntry rows) page querysets that have no page_with_count.
        paginator = ListPaginator(self.queryset, self.list_per_page)
        try:
            page = paginator.page(self.page_num)
        except InvalidPage:
            raise IncorrectLookupParameters from None
        self.paginator, self.result_list, self.result_count = paginator, page.object_list, paginator.count
        self.full_result_count, self.show_full_result_count = None, False
        # Uncounted lists still offer the actions, as Django's do with show_full_result_count off.
        self.show_admin_actions = True
        self.can_show_all, self.multi_page = False, paginator.num_pages > 1

    def url_for_result(self, result) -> str:
        """The row's change link as Django makes it (the list's filters preserved), reversed
        and given the filters once for the page's rows, not once a row."""
        before, after = self._change_url_around_key
        return f"{before}{quote(getattr(result, self.pk_attname))}{after}"

    @cached_property
    def _change_url_around_key(self) -> tuple[str, str]:
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(KEY_MARKER,),
            current_app=self.model_admin.admin_site.name,
        )
        url = add_preserved_filters({"preserved_filters": self.row_filters, "opts": self.opts}, url)
        before, _, after = url.partition(KEY_MARKER)  # the path's, before any query string
        return before, after


class OneQueryListAdmin:
    """For a ModelAdmin of a list that may hold a million rows: pages of ListPaginator through
    OneQueryChangeList, and rows drawn for less. Put before admin.ModelAdmin."""

    def get_changelist(self, request, **kwargs):
        return OneQueryChangeList

    def action_checkbox(self, obj):
        """The row's checkbox for the actions, the markup Django's own renders (a test holds
        them equal), written directly: rendering CheckboxInput's three templates for each row
        was a quarter of the workers' time on a lead list page of 50."""
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )
