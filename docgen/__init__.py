"""The documentation's generated artefacts, each rendered from what the code produces today.

``python -m docgen`` regenerates every one of them; ``python -m docgen --check`` changes nothing and exits 1
naming each one that differs (the tests check each one the same way):

- docs/reference/cli.md: the CLI reference, from the argument parser (patching_components.tools.cli_reference);
- the configuration reference, from the config model (patching_components.config.reference, which knows where
  it is written);
- docs/assets/calendar.svg: the example stacks' windows drawn (docgen.calendar_svg);
- docs/assets/report-example.html: the HTML report of the report tests' account (docgen.report_html).

Documentation tooling, not part of the package: the report needs the tests' fixture (tests/).
"""
