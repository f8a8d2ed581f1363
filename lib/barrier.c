/* placeholder: filled in by the issue-3 work */
typedef int ringo__placeholder_barrier;
