"""Page-number pagination for the lead list: `page_size` up to 100, bad values refused."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from leads.estimates import EXACT_COUNT_LIMIT, EstimatedCountPaginator

# OFFSET costs grow with depth (OFFSET 500000: 300-560 ms); pages end at this many rows in.
# Walking further back is done with created_before, which the index serves at any depth.
MAX_OFFSET = EXACT_COUNT_LIMIT


class EstimatingPaginator(EstimatedCountPaginator):
    """The admin's counting (exact up to EXACT_COUNT_LIMIT, estimated past it); depth is
    limited by MAX_OFFSET rows in LeadPagination, not by a number of pages."""

    max_pages = None


class LeadPagination(PageNumberPagination):
    """`page` (from 1) and `page_size` (1-100, default 20); a non-number is a 400."""

    django_paginator_class = EstimatingPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        return self._positive_param(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.last_page_served = max(MAX_OFFSET // self.get_page_size(request), 1)
        number = self._positive_param(request, self.page_query_param, 1, None)
        if number > self.last_page_served:
            raise ValidationError(
                {
                    self.page_query_param: [
                        f"Pages end {MAX_OFFSET} leads deep (page {self.last_page_served} at this "
                        "page_size); use created_before to go further back."
                    ]
                }
            )
        return super().paginate_queryset(queryset, request, view)

    def get_next_link(self):
        if self.page.has_next() and self.page.next_page_number() > self.last_page_served:
            return None
        return super().get_next_link()

    @staticmethod
    def _positive_param(request, name: str, default: int, maximum: int | None) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: ["Enter a whole number."]}) from None
        if value < 1:
            raise ValidationError({name: ["Ensure this value is greater than or equal to 1."]})
        if maximum is not None and value > maximum:
            raise ValidationError({name: [f"Ensure this value is less than or equal to {maximum}."]})
        return value

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["count", "next", "previous", "results"]
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Page number from 1. Pages reach {MAX_OFFSET} leads deep (page times page_size); "
                    "go further back in time with created_before."
                )
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
        return parameters
