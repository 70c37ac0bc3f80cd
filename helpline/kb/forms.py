"""Forms of the knowledge base's pages (the shared form renderer draws them)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Department, Organisation
from helpline.tickets.forms import AttachmentsField

from .models import Article, ArticleStatus, Category, Language, Visibility


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.ModelChoiceField(
        label=_("Inside"), queryset=Category.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=0)

    def __init__(self, *args, departments, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["parent"].queryset = categories


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace"}),
        help_text=_("Markdown: **bold**, *italic*, lists, `code`, [links](https://…)."),
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=200, required=False, help_text=_("Comma-separated.")
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    translation_of = forms.ModelChoiceField(
        label=_("Translation of"),
        queryset=Article.objects.none(),
        required=False,
        help_text=_("Link translations of one answer together."),
    )
    visibility = forms.ChoiceField(label=_("Who may read it"), choices=Visibility.choices)
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    note = forms.CharField(label=_("What changed"), max_length=200, required=False)
    attachments = AttachmentsField(
        label=_("Files and images"),
        help_text=_("Show an image in the text with ![description](its address), listed below."),
    )

    def __init__(self, *args, categories, article=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        originals = Article.objects.filter(translation_of__isnull=True).only("pk", "title")
        if article is not None:
            originals = originals.exclude(pk=article.pk)
        self.fields["translation_of"].queryset = originals.order_by("title")
        self.fields["organisations"].queryset = Organisation.objects.filter(is_active=True)


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *ArticleStatus.choices], required=False
    )


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes"
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FromAnswerForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
