"""One customer's patching setup from the stack's ``patching:`` config.

Pulumi.yaml points here; ``pulumi up --stack <customer>`` runs it. The logic is
``patching_components.program.main`` so the offline ``patching plan`` runs the
same code from an installed package.
"""

from patching_components.program import main

main()
