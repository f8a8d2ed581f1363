/* placeholder: filled in by the issue-3 work */
int main(void)
{
	return 0;
}
